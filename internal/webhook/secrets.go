package webhook

import (
	"context"
	"fmt"

	"github.com/wharf-dev/wharf/internal/identity"
	"github.com/wharf-dev/wharf/internal/meta"
)

// Webhook signing secrets at rest. The dispatcher needs each secret in
// clear to sign, so like secret access keys they are sealed with the
// secrets key when one is configured (identity.Sealer), bound to the
// webhook's id so a sealed secret moved to another row, or an access
// key's moved into a webhook's, does not open.

// Create stores w with secret sealed by s. The sealed form names the
// webhook's id, which the insert assigns, so the row is written and then
// given its sealed secret in the same transaction.
func Create(tx meta.Tx, s *identity.Sealer, w *meta.Webhook, secret string) error {
	w.Secret = ""
	if err := tx.CreateWebhook(w); err != nil {
		return err
	}
	sealed, err := s.SealFor(identity.WebhookSecret(w.ID), secret)
	if err != nil {
		return fmt.Errorf("seal webhook secret: %w", err)
	}
	if err := tx.SetWebhookSecret(w.ID, sealed); err != nil {
		return err
	}
	w.Secret = sealed
	return nil
}

// Reseal re-encrypts every webhook secret with s, reading each with
// whichever of s and old opens it. It returns how many changed; a secret
// none of them opens stops it with an error naming the webhook.
func Reseal(ctx context.Context, store meta.Store, s *identity.Sealer, old ...*identity.Sealer) (int, error) {
	n := 0
	err := store.Update(ctx, func(tx meta.Tx) error {
		n = 0
		ws, err := tx.ListWebhooks()
		if err != nil {
			return err
		}
		for _, w := range ws {
			if s.IsSealedWith(w.Secret) {
				continue
			}
			p := identity.WebhookSecret(w.ID)
			var secret string
			err := identity.ErrWrongKey
			for _, o := range append([]*identity.Sealer{s}, old...) {
				if secret, err = o.OpenFor(p, w.Secret); err == nil {
					break
				}
			}
			if err != nil {
				return fmt.Errorf("webhook %d: %w", w.ID, err)
			}
			sealed, err := s.SealFor(p, secret)
			if err != nil {
				return err
			}
			if err := tx.SetWebhookSecret(w.ID, sealed); err != nil {
				return fmt.Errorf("webhook %d: %w", w.ID, err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Unsealed counts the webhooks whose secret is not sealed with s's key
// (with no key: stored in clear, all of them), for the warning at start.
func Unsealed(ctx context.Context, store meta.Store, s *identity.Sealer) (unsealed, total int, err error) {
	err = store.View(ctx, func(tx meta.Tx) error {
		ws, err := tx.ListWebhooks()
		for _, w := range ws {
			if !s.Encrypts() || !s.IsSealedWith(w.Secret) {
				unsealed++
			}
		}
		total = len(ws)
		return err
	})
	return unsealed, total, err
}
