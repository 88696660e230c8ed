package convert

import (
	"math"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// JavaString formats a scalar as Java's toString does for the boxed type:
// Float.toString/Double.toString ("1.0", "1.5E10", "NaN"), BigDecimal.toString
// for a Decimal, Long.toString for integers. It reports false for other
// values. Transforms use it where Kafka's call toString (Cast to string,
// header text).
func JavaString(v any) (string, bool) {
	switch x := v.(type) {
	case float32:
		return javaFloatText(float64(x), 32), true
	case float64:
		return javaFloatText(x, 64), true
	case connect.Decimal:
		return string(appendJavaBigDecimal(nil, orZero(x.Unscaled), x.Scale)), true
	}
	return scalarText(v)
}

func javaFloatText(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return string(appendJavaFloat(nil, f, bits))
}
