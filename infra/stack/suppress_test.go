package stack

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

func TestSuppressNag(t *testing.T) {
	tests := []struct {
		name  string
		calls [][]nagRule
		want  string // Metadata.cdk_nag as JSON; "" = no metadata
	}{
		{
			name:  "no rules adds nothing",
			calls: [][]nagRule{nil},
		},
		{
			name:  "one call",
			calls: [][]nagRule{{{"AwsSolutions-SQS3", "the queue is a dead-letter queue"}}},
			want:  `{"rules_to_suppress":[{"id":"AwsSolutions-SQS3","reason":"the queue is a dead-letter queue"}]}`,
		},
		{
			name: "second call appends, a repeated id keeps the first reason",
			calls: [][]nagRule{
				{{"AwsSolutions-IAM5[Resource::*]", "ENI actions"}},
				{{"AwsSolutions-IAM5[Resource::*]", "again"}, {"AwsSolutions-IAM5[Resource::arn:topic/x*]", "topic prefix"}},
			},
			want: `{"rules_to_suppress":[{"id":"AwsSolutions-IAM5[Resource::*]","reason":"ENI actions"},{"id":"AwsSolutions-IAM5[Resource::arn:topic/x*]","reason":"topic prefix"}]}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := newTestStack()
			q := awssqs.NewQueue(st, jsii.String("Q"), nil)
			// checkov skips on the same resource stay as they are.
			suppress(q.Node().DefaultChild(), skip{"CKV_AWS_27", "the checkov reason stays next to cdk-nag's"})
			for _, c := range tc.calls {
				suppressNag(q.Node().DefaultChild(), c...)
			}
			r := synth(t, st).one("AWS::SQS::Queue")
			got := ""
			if m := get(r, "Metadata", "cdk_nag"); m != nil {
				b, _ := json.Marshal(m)
				got = string(b)
			}
			if got != tc.want {
				t.Errorf("Metadata.cdk_nag = %s, want %s", got, tc.want)
			}
			if ids := checkovSkips(t, r); len(ids) != 1 || ids[0] != "CKV_AWS_27" {
				t.Errorf("checkov skips %v, want CKV_AWS_27 kept", ids)
			}
		})
	}
}
