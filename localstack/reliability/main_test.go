package reliability

import (
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"
)

// tally collects the figures of every case; TestMain prints them.
var tally Tally

// suiteSeed is the suite's seed, chosen once by TestMain (SLKC_SEED replays it).
var suiteSeed uint64

// testSeed logs the suite seed in t's output and returns it; each case
// derives its runs' generators from it.
func testSeed(t *testing.T) uint64 {
	t.Helper()
	t.Logf("seed=%d (replay with SLKC_SEED=%d go test -run '%s' ./localstack/reliability/)", suiteSeed, suiteSeed, t.Name())
	return suiteSeed
}

func TestMain(m *testing.M) {
	// The connectors log every batch through slog.Default and the MySQL
	// driver logs dropped connections; the faults here make both noisy.
	if os.Getenv("SLKC_RELIABILITY_LOGS") == "" {
		slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
		_ = gomysql.SetLogger(log.New(io.Discard, "", 0))
	}
	suiteSeed = Seed()
	fmt.Printf("RELIABILITY seed=%d runs_per_case=%d (replay with SLKC_SEED=%d)\n", suiteSeed, Runs(), suiteSeed)
	code := m.Run()
	for _, l := range tally.Lines() {
		fmt.Println(l)
	}
	os.Exit(code)
}

// runs is the repetition count of a randomized case: 1 with -short,
// else Runs().
func runs() int {
	if testing.Short() {
		return 1
	}
	return Runs()
}
