package service

import (
	"context"

	"github.com/wharf-dev/wharf/internal/meta"
)

// PermittedOnPackage reports which of actions the caller may perform on a
// package, by the same policy evaluation every operation runs, without
// performing any. User interfaces use it to offer only the actions that
// would be allowed; the operations still authorize themselves.
func (s *Service) PermittedOnPackage(ctx context.Context, c Caller, ref PackageRef, actions ...string) (map[string]bool, error) {
	out := make(map[string]bool, len(actions))
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		k, err := ref.key()
		if err != nil {
			return err
		}
		d, r, err := s.getRepo(tx, ownerOr(ref.DomainOwner, c), ref.Domain, ref.Repository)
		if err != nil {
			return err
		}
		arn := s.packageARN(r, k)
		for _, a := range actions {
			out[a] = s.authorize(ctx, c, a, arn, d.Owner) == nil
		}
		return nil
	})
	return out, wrap("permitted on package", err)
}
