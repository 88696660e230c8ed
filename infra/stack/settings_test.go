package stack

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
)

func TestSettingsFromContext(t *testing.T) {
	tests := []struct {
		name    string
		ctx     map[string]any
		check   func(t *testing.T, s Settings)
		wantErr []string
	}{
		{
			name: "defaults with MSK",
			ctx:  map[string]any{"mskClusterArn": testClusterARN},
			check: func(t *testing.T, s Settings) {
				equal(t, "stage", s.Stage, "dev")
				equal(t, "stack", s.StackName(), "slkc-dev")
				equal(t, "pipelineDir", s.PipelineDir, "../connectors/pipeline")
				equal(t, "buildDir", s.BuildDir, "../build")
				equal(t, "retention", s.LogRetention, awslogs.RetentionDays_ONE_MONTH)
				if s.Network != nil {
					t.Errorf("network %v", s.Network)
				}
			},
		},
		{
			name: "self-managed from -c strings and cdk.json lists",
			ctx: map[string]any{
				"env": "prod", "kafkaMode": "self-managed", "bootstrapServers": "b1:9096, b2:9096",
				"saslSecretArn": testSecretARN, "subnetIds": []any{"subnet-1", "subnet-2"}, "securityGroupIds": `["sg-1"]`,
				"vpcId": "vpc-1", "secretArns": testSecretARN, "logRetentionDays": "14", "maximumPollers": 6.0,
				"functionEnv": "DB_URL=jdbc:mysql://db:3306/x,DB_USER=slkc",
			},
			check: func(t *testing.T, s Settings) {
				equal(t, "stack", s.StackName(), "slkc-prod")
				equal(t, "servers", s.Kafka.BootstrapServers, []string{"b1:9096", "b2:9096"})
				equal(t, "network", *s.Network, Network{VpcID: "vpc-1", SubnetIDs: []string{"subnet-1", "subnet-2"}, SecurityGroupIDs: []string{"sg-1"}})
				equal(t, "secrets", s.SecretARNs, []string{testSecretARN})
				equal(t, "retention", s.LogRetention, awslogs.RetentionDays_TWO_WEEKS)
				equal(t, "maximumPollers", s.MaximumPollers, 6)
				equal(t, "functionEnv", s.FunctionEnv, map[string]string{"DB_URL": "jdbc:mysql://db:3306/x", "DB_USER": "slkc"})
			},
		},
		{
			name:    "all problems together",
			ctx:     map[string]any{"env": "a b", "kafkaMode": "msk", "subnetIds": "subnet-1", "secretArns": "plaintext", "logRetentionDays": "10", "functionEnv": "AWS_REGION=x"},
			wantErr: []string{"context env", "securityGroupIds: required", "not a Secrets Manager ARN", "logRetentionDays", "MSK cluster ARN", "context functionEnv: environment variable AWS_REGION"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := SettingsFromContext(func(k string) any { return tt.ctx[k] })
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatal("no error")
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
}
