package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/model"
)

// Package version events are recorded in one place: every Update the
// service runs goes through eventStore, whose transaction notes each
// version a write touches (and its state before), and which appends one
// event per changed version to the outbox before the transaction commits.
// An operation cannot change a version without its event, whichever
// path (control plane, package manager, upstream retention, copy) it
// takes, and a crash keeps both or neither.

// eventStore is the metadata store as the service uses it.
type eventStore struct {
	meta.Store
	s *Service
}

// Update runs fn in a transaction that records version events.
func (e eventStore) Update(ctx context.Context, fn func(meta.Tx) error) error {
	appended := false
	err := e.Store.Update(ctx, func(tx meta.Tx) error {
		rt := &recordingTx{Tx: tx}
		if err := fn(rt); err != nil {
			return err
		}
		n, err := e.s.appendEvents(rt)
		appended = n > 0
		return err
	})
	if err == nil && appended {
		for _, h := range e.s.eventHooks {
			h()
		}
	}
	return err
}

// OnEvents registers a hook called after a commit that appended events
// to the outbox, so a delivery loop can start at once.
func (s *Service) OnEvents(h func()) { s.eventHooks = append(s.eventHooks, h) }

// versionSnapshot is a version as an event names and compares it.
type versionSnapshot struct {
	subject meta.VersionSubject
	state   model.VersionState
}

// recordingTx notes the versions its writes touch, in order, with their
// state before the first write (nil: created here). With no webhook
// configured it records nothing: events no one listens to are not kept,
// and the writes pay one small read per transaction.
type recordingTx struct {
	meta.Tx
	order  []int64
	before map[int64]*versionSnapshot
	hooks  []*meta.Webhook
	loaded bool
}

// listening loads the webhooks once per transaction and reports whether
// there are any.
func (r *recordingTx) listening() (bool, error) {
	if !r.loaded {
		hs, err := r.Tx.ListWebhooks()
		if err != nil {
			return false, fmt.Errorf("record version events: %w", err)
		}
		r.hooks, r.loaded = hs, true
		if len(hs) > 0 {
			r.before = map[int64]*versionSnapshot{}
		}
	}
	return len(r.hooks) > 0, nil
}

// wanted reports whether a webhook listens to the subject's repository.
func (r *recordingTx) wanted(sub meta.VersionSubject) bool {
	for _, h := range r.hooks {
		if h.DomainOwner == sub.DomainOwner && h.Domain == sub.Domain && (h.Repository == "" || h.Repository == sub.Repository) {
			return true
		}
	}
	return false
}

func (r *recordingTx) snapshots(ids []int64) (map[int64]*versionSnapshot, error) {
	subs, err := r.Tx.VersionSubjects(ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*versionSnapshot, len(subs))
	for _, sub := range subs {
		as, err := r.Tx.ListAssets(sub.Version.ID, "", 0)
		if err != nil {
			return nil, err
		}
		st := model.VersionState{Status: sub.Version.Status, Revision: sub.Version.Revision, Assets: make(map[string]string, len(as))}
		for _, a := range as {
			st.Assets[a.Name] = a.Hashes.SHA256
		}
		out[sub.Version.ID] = &versionSnapshot{subject: sub, state: st}
	}
	return out, nil
}

// touch records the state of the versions not yet touched.
func (r *recordingTx) touch(ids ...int64) error {
	if on, err := r.listening(); err != nil || !on {
		return err
	}
	var fresh []int64
	for _, id := range ids {
		if _, seen := r.before[id]; !seen {
			fresh = append(fresh, id)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	snaps, err := r.snapshots(fresh)
	if err != nil {
		return fmt.Errorf("record version events: %w", err)
	}
	for _, id := range fresh {
		r.before[id] = snaps[id]
		r.order = append(r.order, id)
	}
	return nil
}

func (r *recordingTx) CreateVersion(v *model.Version) error {
	if err := r.Tx.CreateVersion(v); err != nil {
		return err
	}
	if on, err := r.listening(); err != nil || !on {
		return err
	}
	if _, seen := r.before[v.ID]; !seen {
		r.before[v.ID] = nil
		r.order = append(r.order, v.ID)
	}
	return nil
}

func (r *recordingTx) UpdateVersion(v *model.Version) error {
	if err := r.touch(v.ID); err != nil {
		return err
	}
	return r.Tx.UpdateVersion(v)
}

func (r *recordingTx) SetVersionStatus(ids []int64, st model.Status) error {
	if err := r.touch(ids...); err != nil {
		return err
	}
	return r.Tx.SetVersionStatus(ids, st)
}

func (r *recordingTx) DeleteVersions(ids []int64) error {
	if err := r.touch(ids...); err != nil {
		return err
	}
	return r.Tx.DeleteVersions(ids)
}

func (r *recordingTx) PutAsset(a *model.Asset) error {
	if err := r.touch(a.VersionID); err != nil {
		return err
	}
	return r.Tx.PutAsset(a)
}

func (r *recordingTx) DeleteAssets(versionID int64) error {
	if err := r.touch(versionID); err != nil {
		return err
	}
	return r.Tx.DeleteAssets(versionID)
}

// DeletePackage records one event per version of the package, as
// CodeArtifact publishes for delete-package.
func (r *recordingTx) DeletePackage(id int64) error {
	if on, err := r.listening(); err != nil || !on {
		if err != nil {
			return err
		}
		return r.Tx.DeletePackage(id)
	}
	vs, err := r.Tx.ListVersions(id, meta.VersionFilter{AllStatuses: true})
	if err != nil {
		return err
	}
	ids := make([]int64, len(vs))
	for i, v := range vs {
		ids[i] = v.ID
	}
	if err := r.touch(ids...); err != nil {
		return err
	}
	return r.Tx.DeletePackage(id)
}

// eventStream names a package across its deletion and re-creation: the
// order deliveries keep and the sequence numbers count in.
func eventStream(sub meta.VersionSubject) string {
	b, _ := json.Marshal([]string{sub.DomainOwner, sub.Domain, sub.Repository, string(sub.Key.Format), sub.Key.Namespace, sub.Key.Name})
	return string(b)
}

// appendEvents writes the events of the versions rt changed.
func (s *Service) appendEvents(rt *recordingTx) (int, error) {
	if len(rt.order) == 0 {
		return 0, nil
	}
	after, err := rt.snapshots(rt.order)
	if err != nil {
		return 0, fmt.Errorf("record version events: %w", err)
	}
	n := 0
	for _, id := range rt.order {
		b, a := rt.before[id], after[id]
		var bs, as *model.VersionState
		snap := a
		if b != nil {
			bs = &b.state
			snap = b
		}
		if a != nil {
			as = &a.state
			snap = a
		}
		op, change, ok := model.DiffVersion(bs, as)
		if !ok || !rt.wanted(snap.subject) {
			continue
		}
		e, err := s.newEvent(rt.Tx, snap, op, change)
		if err != nil {
			return n, fmt.Errorf("record version events: %w", err)
		}
		if err := rt.Tx.AppendEvent(e); err != nil {
			return n, fmt.Errorf("record version events: %w", err)
		}
		if e.ID != 0 {
			n++
		}
	}
	return n, nil
}

// newEvent builds the stored event for a change to the version snap
// describes (its state after the change, or before a deletion).
func (s *Service) newEvent(tx meta.Tx, snap *versionSnapshot, op string, change model.VersionChange) (*meta.Event, error) {
	sub := snap.subject
	stream := eventStream(sub)
	seq, err := tx.NextEventSequence(stream)
	if err != nil {
		return nil, err
	}
	var ns *string
	if sub.Key.Namespace != "" {
		ns = &sub.Key.Namespace
	}
	now := s.now()
	env := model.EventEnvelope{
		Version: "0", ID: newEventID(), DetailType: model.EventDetailType, Source: model.EventSource,
		Account: sub.DomainOwner, Time: now.Format("2006-01-02T15:04:05Z"), Region: s.cfg.Region,
		Resources: []string{model.PackageARN(s.cfg.Region, sub.DomainOwner, sub.Domain, sub.Repository, sub.Key)},
		Detail: model.VersionEvent{
			DomainName: sub.Domain, DomainOwner: sub.DomainOwner, RepositoryName: sub.Repository,
			PackageFormat: sub.Key.Format, PackageNamespace: ns, PackageName: sub.Key.Name,
			PackageVersion: sub.Version.Version, PackageVersionState: snap.state.Status, PackageVersionRevision: snap.state.Revision,
			Changes: change, OperationType: op, SequenceNumber: seq, EventDeduplicationID: newRevision(),
		},
	}
	body, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	return &meta.Event{Stream: stream, DomainOwner: sub.DomainOwner, Domain: sub.Domain, Repository: sub.Repository, Body: body, Created: now}, nil
}

// newEventID returns a random UUID, the form EventBridge event ids take.
func newEventID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
