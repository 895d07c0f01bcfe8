package model

import (
	"regexp"
	"testing"
	"time"
)

// kmsKeyARN is the shape of a KMS key ARN with a key id, as CodeArtifact
// reports its managed key.
var kmsKeyARN = regexp.MustCompile(`^arn:aws:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestDomainKeyARN(t *testing.T) {
	created := time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC)
	base := Domain{ID: 1, Name: "acme", Owner: "111122223333", CreatedTime: created}
	baseKey := base.KeyARN("us-east-1")
	if !kmsKeyARN.MatchString(baseKey) {
		t.Fatalf("managed key ARN %q is not a KMS key ARN", baseKey)
	}
	tests := []struct {
		name   string
		d      Domain
		region string
		same   bool   // the same key as base's
		want   string // exact ARN, when known
	}{
		{"same domain read again", base, "us-east-1", true, ""},
		{"another row id (a restored copy)", Domain{ID: 7, Name: "acme", Owner: "111122223333", CreatedTime: created}, "us-east-1", true, ""},
		{"creation time in another zone", Domain{Name: "acme", Owner: "111122223333", CreatedTime: created.In(time.FixedZone("x", 3600))}, "us-east-1", true, ""},
		{"another name", Domain{Name: "acme2", Owner: "111122223333", CreatedTime: created}, "us-east-1", false, ""},
		{"another owner", Domain{Name: "acme", Owner: "444455556666", CreatedTime: created}, "us-east-1", false, ""},
		{"recreated later", Domain{Name: "acme", Owner: "111122223333", CreatedTime: created.Add(time.Nanosecond)}, "us-east-1", false, ""},
		{"given key", Domain{Name: "acme", Owner: "111122223333", CreatedTime: created, EncryptionKey: "arn:aws:kms:us-west-2:111122223333:key/k"},
			"us-east-1", false, "arn:aws:kms:us-west-2:111122223333:key/k"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.d.KeyARN(tt.region)
			if tt.want != "" {
				if got != tt.want {
					t.Errorf("KeyARN = %q, want %q", got, tt.want)
				}
				return
			}
			if !kmsKeyARN.MatchString(got) {
				t.Errorf("KeyARN = %q, not a KMS key ARN", got)
			}
			if (got == baseKey) != tt.same {
				t.Errorf("KeyARN = %q, base's %q: same = %v, want %v", got, baseKey, got == baseKey, tt.same)
			}
		})
	}
	if got := base.KeyARN("eu-west-1"); got[:len("arn:aws:kms:eu-west-1:111122223333:key/")] != "arn:aws:kms:eu-west-1:111122223333:key/" {
		t.Errorf("KeyARN in eu-west-1 = %q", got)
	}
}

func TestAssetBucketARN(t *testing.T) {
	if got, want := AssetBucketARN("us-west-2", "111122223333"), "arn:aws:s3:::assets-111122223333-us-west-2"; got != want {
		t.Errorf("AssetBucketARN = %q, want %q", got, want)
	}
}
