package service

import (
	"context"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// maxTags is AWS's per-resource tag limit.
const maxTags = 50

func checkTags(tags []Tag) error {
	if len(tags) > maxTags {
		return model.QuotaExceeded("tag", "", "A resource can have at most %d tags.", maxTags)
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if seen[t.Key] {
			return model.InvalidParameter("Duplicate tag key: %s", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

func toMetaTags(tags []Tag) []meta.Tag {
	out := make([]meta.Tag, len(tags))
	for i, t := range tags {
		out[i] = meta.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

// taggable resolves a domain, repository or package-group ARN to the
// account owning it, checking that the resource exists.
func (s *Service) taggable(tx meta.Tx, arn string) (string, error) {
	a, ok := model.ParseARN(arn)
	notFound := model.NotFound("", arn, "Resource not found: %s", arn)
	if !ok || a.Region != s.cfg.Region {
		return "", notFound
	}
	d, err := tx.GetDomain(a.Account, a.Domain)
	if err != nil {
		return "", notFound
	}
	switch a.Type {
	case "domain":
		return d.Owner, nil
	case "repository":
		if _, err := tx.GetRepository(d.ID, a.Repository); err != nil {
			return "", notFound
		}
		return d.Owner, nil
	case "package-group":
		if !s.taggableGroup(tx, d, arn, a.PackageGroup) {
			return "", notFound
		}
		return d.Owner, nil
	}
	return "", notFound
}

// TagResourceInput is TagResource's request.
type TagResourceInput struct {
	ResourceArn string `json:"resourceArn"`
	Tags        []Tag  `json:"tags"`
}

// Empty is the answer of operations that return nothing.
type Empty struct{}

// TagResource adds or replaces tags on a domain, repository or package group.
func (s *Service) TagResource(ctx context.Context, c Caller, in TagResourceInput) (*Empty, error) {
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		owner, err := s.taggable(tx, in.ResourceArn)
		if err != nil {
			return err
		}
		if err := s.authorize(ctx, c, "TagResource", in.ResourceArn, owner); err != nil {
			return err
		}
		existing, err := tx.GetTags(in.ResourceArn)
		if err != nil {
			return err
		}
		keys := map[string]bool{}
		for _, t := range existing {
			keys[t.Key] = true
		}
		for _, t := range in.Tags {
			keys[t.Key] = true
		}
		if len(keys) > maxTags {
			return model.QuotaExceeded("tag", in.ResourceArn, "A resource can have at most %d tags.", maxTags)
		}
		return tx.SetTags(in.ResourceArn, toMetaTags(in.Tags))
	})
	if err == nil {
		// Tags feed aws:ResourceTag conditions: make them count at once.
		s.policiesChanged(ctx)
	}
	return &Empty{}, wrap("tag resource", err)
}

// UntagResourceInput is UntagResource's request.
type UntagResourceInput struct {
	ResourceArn string   `json:"resourceArn"`
	TagKeys     []string `json:"tagKeys"`
}

// UntagResource removes tags from a domain, repository or package group.
func (s *Service) UntagResource(ctx context.Context, c Caller, in UntagResourceInput) (*Empty, error) {
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		owner, err := s.taggable(tx, in.ResourceArn)
		if err != nil {
			return err
		}
		if err := s.authorize(ctx, c, "UntagResource", in.ResourceArn, owner); err != nil {
			return err
		}
		return tx.RemoveTags(in.ResourceArn, in.TagKeys)
	})
	if err == nil {
		s.policiesChanged(ctx)
	}
	return &Empty{}, wrap("untag resource", err)
}

// ListTagsInput is ListTagsForResource's request.
type ListTagsInput struct {
	ResourceArn string `json:"resourceArn"`
}

// ListTagsOutput is ListTagsForResource's answer.
type ListTagsOutput struct {
	Tags []Tag `json:"tags"`
}

// ListTagsForResource lists a domain's, repository's or package group's tags.
func (s *Service) ListTagsForResource(ctx context.Context, c Caller, in ListTagsInput) (*ListTagsOutput, error) {
	out := ListTagsOutput{Tags: []Tag{}}
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		owner, err := s.taggable(tx, in.ResourceArn)
		if err != nil {
			return err
		}
		if err := s.authorize(ctx, c, "ListTagsForResource", in.ResourceArn, owner); err != nil {
			return err
		}
		tags, err := tx.GetTags(in.ResourceArn)
		for _, t := range tags {
			out.Tags = append(out.Tags, Tag{Key: t.Key, Value: t.Value})
		}
		return err
	})
	return &out, wrap("list tags", err)
}

// ResourceTags returns a resource's tags as a map, for policy conditions
// on aws:ResourceTag.
func (s *Service) ResourceTags(ctx context.Context, arn string) (map[string]string, error) {
	out := map[string]string{}
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		tags, err := tx.GetTags(arn)
		for _, t := range tags {
			out[t.Key] = t.Value
		}
		return err
	})
	return out, err
}
