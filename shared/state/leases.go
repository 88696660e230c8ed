package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Lease attribute names on the leases table.
const (
	attrOwner      = "owner"       // S: holder (unique per run; see sourcetask.Owner)
	attrCounter    = "counter"     // N: fencing counter, strictly increasing
	attrExpiresAt  = "expires_at"  // N: epoch millis; the lease is free at or after it
	attrAcquiredAt = "acquired_at" // N: epoch millis
)

// DefaultLeaseRetention is how long after expiry the "ttl" attribute lets
// DynamoDB delete a lease item.
const DefaultLeaseRetention = 7 * 24 * time.Hour

// ErrLeaseHeld is returned (wrapped in *LeaseHeldError) by Acquire when
// another owner holds an unexpired lease.
var ErrLeaseHeld = errors.New("state: lease held")

// ErrLeaseLost is returned by Renew, Release and OffsetStore.Commit when
// the stored lease is no longer the caller's (another owner took it over
// with a newer counter); the caller must stop writing. Commit wraps it in
// *LeaseLostError.
var ErrLeaseLost = errors.New("state: lease lost")

// LeaseLostError details an ErrLeaseLost returned by OffsetStore.Commit.
// errors.Is(err, ErrLeaseLost) is true.
type LeaseLostError struct {
	Connector string
	// Owner and Counter are the writer's lease.
	Owner   string
	Counter int64
	// StoredOwner and StoredCounter are what the leases table held when the
	// write was refused (empty and 0 when DynamoDB did not return the item).
	StoredOwner   string
	StoredCounter int64
}

func (e *LeaseLostError) Error() string {
	return fmt.Sprintf("state: lease of connector %q lost: held by %q with counter %d, writer %q has counter %d",
		e.Connector, e.StoredOwner, e.StoredCounter, e.Owner, e.Counter)
}

// Is makes errors.Is(err, ErrLeaseLost) true.
func (e *LeaseLostError) Is(target error) bool { return target == ErrLeaseLost }

// LeaseHeldError details ErrLeaseHeld. errors.Is(err, ErrLeaseHeld) is true.
type LeaseHeldError struct {
	Connector string
	// Key is the sub-lease's key (LeaseKey); empty for the connector's own.
	Key       string
	Holder    string
	ExpiresAt time.Time
	Counter   int64
}

func (e *LeaseHeldError) Error() string {
	what := fmt.Sprintf("lease of connector %q", e.Connector)
	if e.Key != "" {
		what = fmt.Sprintf("lease %s of connector %q", e.Key, e.Connector)
	}
	return fmt.Sprintf("state: %s held by %q (counter %d) until %s",
		what, e.Holder, e.Counter, e.ExpiresAt.UTC().Format(time.RFC3339Nano))
}

// Is makes errors.Is(err, ErrLeaseHeld) true.
func (e *LeaseHeldError) Is(target error) bool { return target == ErrLeaseHeld }

// Lease is a lease as stored. Counter is the fencing token: a Lease
// returned by Acquire or Renew is passed to OffsetStore.Commit, which writes
// only while the stored lease still has this Owner and Counter.
type Lease struct {
	Connector string
	// Key is the leases-table key when the lease is a sub-lease of the
	// connector (a task's or a partition's, see LeaseKey and AcquireKey);
	// empty for the connector's own lease, whose key is Connector.
	Key       string
	Owner     string
	Counter   int64
	ExpiresAt time.Time
	// table is the leases table the lease lives in; Commit checks it there.
	table string
}

// key is the lease's item key in the leases table.
func (l Lease) key() string {
	if l.Key != "" {
		return l.Key
	}
	return l.Connector
}

// LeaseKey returns the leases-table key of a sub-lease of connector: one
// per source task ("task-2"), one per partition and one per initial-load
// chunk. It
// is the JSON array [connector, sub], so it differs from every connector's
// own key (its plain name) unless a connector is literally named like that.
func LeaseKey(connector, sub string) string {
	b, _ := json.Marshal([]string{connector, sub}) // strings always encode
	return string(b)
}

// Held reports whether the lease is unexpired at now.
func (l Lease) Held(now time.Time) bool { return l.Owner != "" && l.ExpiresAt.After(now) }

// LeaseStore grants one holder per connector at a time. Safe for concurrent
// use.
//
// Counters strictly increase per connector, even when DynamoDB TTL deleted
// the item in between: a new counter is max(previous+1, now in epoch
// millis), so it exceeds every counter handed out before (as long as clocks
// are not skewed by more than the retention). That keeps the offset fence
// valid across TTL cleanup.
type LeaseStore struct {
	api   API
	table string
	// Now is the clock used for expiry decisions; nil means time.Now.
	Now func() time.Time
	// Retention is how long after expiry the TTL attribute keeps the item;
	// 0 means DefaultLeaseRetention.
	Retention time.Duration
}

// NewLeaseStore returns a store on the named leases table.
func NewLeaseStore(api API, table string) *LeaseStore {
	return &LeaseStore{api: api, table: table}
}

func (l *LeaseStore) retention() time.Duration {
	if l.Retention > 0 {
		return l.Retention
	}
	return DefaultLeaseRetention
}

func leaseHeld(connector, key string, item map[string]types.AttributeValue) *LeaseHeldError {
	return &LeaseHeldError{
		Connector: connector,
		Key:       key,
		Holder:    getS(item, attrOwner),
		ExpiresAt: time.UnixMilli(getN(item, attrExpiresAt)).UTC(),
		Counter:   getN(item, attrCounter),
	}
}

// Acquire takes the connector's lease for owner until now+ttl. It succeeds
// only when there is no lease or the stored lease expired (expires_at <= now
// by the store's clock; Release expires it at once), and hands out a new,
// higher Counter. An unexpired lease is held even when its owner equals
// owner: the owner must be unique per run (an async retry of a Lambda
// invocation reuses its request id), and the holder extends with Renew.
// Otherwise it returns an error matching ErrLeaseHeld that names the holder
// and expiry. Requests: one consistent GetItem and one conditional PutItem.
func (l *LeaseStore) Acquire(ctx context.Context, connector, owner string, ttl time.Duration) (Lease, error) {
	return l.AcquireKey(ctx, connector, "", owner, ttl)
}

// AcquireKey is Acquire for a sub-lease of connector stored under key
// (LeaseKey); an empty key is the connector's own lease. The returned
// Lease fences OffsetStore.Commit on that key.
func (l *LeaseStore) AcquireKey(ctx context.Context, connector, key, owner string, ttl time.Duration) (Lease, error) {
	itemKey := key
	if itemKey == "" {
		itemKey = connector
	}
	if owner == "" {
		return Lease{}, fmt.Errorf("state: acquire lease of connector %q: empty owner", connector)
	}
	if ttl <= 0 {
		return Lease{}, fmt.Errorf("state: acquire lease of connector %q: ttl %s must be positive", connector, ttl)
	}
	dkey := map[string]types.AttributeValue{attrConnector: s(itemKey)}
	cur, err := l.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(l.table), Key: dkey, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return Lease{}, fmt.Errorf("state: read lease %q of connector %q from table %q: %w", itemKey, connector, l.table, err)
	}
	now := nowFunc(l.Now)
	var prevCounter int64
	exists := len(cur.Item) > 0
	if exists {
		prevCounter = getN(cur.Item, attrCounter)
		if getN(cur.Item, attrExpiresAt) > now.UnixMilli() {
			return Lease{}, leaseHeld(connector, key, cur.Item)
		}
	}
	counter := max(prevCounter+1, now.UnixMilli())
	expires := now.Add(ttl)
	item := map[string]types.AttributeValue{
		attrConnector:  s(itemKey),
		attrOwner:      s(owner),
		attrCounter:    n(counter),
		attrExpiresAt:  n(expires.UnixMilli()),
		attrAcquiredAt: n(now.UnixMilli()),
		attrTTL:        n(expires.Add(l.retention()).Unix()),
	}
	// The condition re-checks what was read: the counter is unchanged (no
	// one acquired in between) and the lease is still free.
	in := &dynamodb.PutItemInput{
		TableName:                           aws.String(l.table),
		Item:                                item,
		ExpressionAttributeNames:            map[string]string{"#c": attrConnector},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	if exists {
		in.ConditionExpression = aws.String("#n = :prev AND #e <= :now")
		in.ExpressionAttributeNames = map[string]string{"#n": attrCounter, "#e": attrExpiresAt}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{
			":prev": n(prevCounter), ":now": n(now.UnixMilli()),
		}
	} else {
		in.ConditionExpression = aws.String("attribute_not_exists(#c)")
	}
	lease := Lease{Connector: connector, Key: key, Owner: owner, Counter: counter, ExpiresAt: expires.UTC(), table: l.table}
	if _, err := l.api.PutItem(ctx, in); err != nil {
		if old, ok := conditionFailed(err); ok {
			if getS(old, attrOwner) == owner && getN(old, attrCounter) == counter {
				// An SDK retry of our own PutItem whose first attempt
				// went through.
				return lease, nil
			}
			// Someone acquired between our read and write.
			return Lease{}, leaseHeld(connector, key, old)
		}
		// The write's outcome is unknown (the caller's context ended while
		// it was in flight, a timeout): it may have been applied, leaving a
		// lease no run knows it holds, which would keep the key from every
		// run until it expires. Expire it, if it is ours, before giving up.
		l.releaseUnknown(ctx, lease)
		return Lease{}, fmt.Errorf("state: acquire lease %q of connector %q in table %q: %w", itemKey, connector, l.table, err)
	}
	return lease, nil
}

// releaseUnknownTimeout bounds releaseUnknown's request.
const releaseUnknownTimeout = 2 * time.Second

// releaseUnknown releases lease, which an acquire may or may not have
// written, on a context that outlives ctx's cancellation. Release's
// condition (this counter and owner) makes it a no-op when the write did
// not happen or someone else holds the key; its error is not the caller's.
func (l *LeaseStore) releaseUnknown(ctx context.Context, lease Lease) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseUnknownTimeout)
	defer cancel()
	_ = l.Release(rctx, lease)
}

// Current returns the connector's stored lease (expired or not) with a
// strongly consistent read; ok is false when none was ever taken (or TTL
// deleted it). One GetItem. Use Lease.Held to tell whether it is in force.
func (l *LeaseStore) Current(ctx context.Context, connector string) (lease Lease, ok bool, err error) {
	return l.CurrentKey(ctx, connector, "")
}

// CurrentKey is Current for the sub-lease of connector stored under key
// (LeaseKey); an empty key is the connector's own lease.
func (l *LeaseStore) CurrentKey(ctx context.Context, connector, key string) (lease Lease, ok bool, err error) {
	itemKey := key
	if itemKey == "" {
		itemKey = connector
	}
	out, err := l.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(l.table),
		Key:            map[string]types.AttributeValue{attrConnector: s(itemKey)},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Lease{}, false, fmt.Errorf("state: read lease %q of connector %q from table %q: %w", itemKey, connector, l.table, err)
	}
	if len(out.Item) == 0 {
		return Lease{}, false, nil
	}
	return Lease{
		Connector: connector, Key: key, Owner: getS(out.Item, attrOwner), Counter: getN(out.Item, attrCounter),
		ExpiresAt: time.UnixMilli(getN(out.Item, attrExpiresAt)).UTC(), table: l.table,
	}, true, nil
}

// Renew extends a held lease to now+ttl and returns it updated. It fails
// with ErrLeaseLost when the stored counter is no longer lease.Counter.
// Renewing an expired lease nobody took over succeeds. One UpdateItem.
func (l *LeaseStore) Renew(ctx context.Context, lease Lease, ttl time.Duration) (Lease, error) {
	if ttl <= 0 {
		return lease, fmt.Errorf("state: renew lease of connector %q: ttl %s must be positive", lease.Connector, ttl)
	}
	expires := nowFunc(l.Now).Add(ttl)
	_, err := l.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(l.table),
		Key:                      map[string]types.AttributeValue{attrConnector: s(lease.key())},
		UpdateExpression:         aws.String("SET #e = :exp, #t = :ttl"),
		ConditionExpression:      aws.String("#n = :counter AND #o = :owner"),
		ExpressionAttributeNames: map[string]string{"#e": attrExpiresAt, "#t": attrTTL, "#n": attrCounter, "#o": attrOwner},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":exp": n(expires.UnixMilli()), ":ttl": n(expires.Add(l.retention()).Unix()),
			":counter": n(lease.Counter), ":owner": s(lease.Owner),
		},
	})
	if err != nil {
		if _, ok := conditionFailed(err); ok {
			return lease, fmt.Errorf("state: renew lease of connector %q (counter %d): %w", lease.Connector, lease.Counter, ErrLeaseLost)
		}
		return lease, fmt.Errorf("state: renew lease of connector %q in table %q: %w", lease.Connector, l.table, err)
	}
	lease.ExpiresAt = expires.UTC()
	return lease, nil
}

// Release ends a held lease now so the next poller need not wait for
// expiry. The item (and its counter) is kept so counters keep increasing.
// Only the holder of the stored counter can release: the stored counter and
// owner must both equal lease's, so neither a stale holder nor a caller that
// merely knows the counter frees the lease (they get ErrLeaseLost). One
// UpdateItem.
func (l *LeaseStore) Release(ctx context.Context, lease Lease) error {
	now := nowFunc(l.Now)
	_, err := l.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(l.table),
		Key:                      map[string]types.AttributeValue{attrConnector: s(lease.key())},
		UpdateExpression:         aws.String("SET #e = :now, #t = :ttl"),
		ConditionExpression:      aws.String("#n = :counter AND #o = :owner"),
		ExpressionAttributeNames: map[string]string{"#e": attrExpiresAt, "#t": attrTTL, "#n": attrCounter, "#o": attrOwner},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": n(now.UnixMilli()), ":ttl": n(now.Add(l.retention()).Unix()),
			":counter": n(lease.Counter), ":owner": s(lease.Owner),
		},
	})
	if err != nil {
		if _, ok := conditionFailed(err); ok {
			return fmt.Errorf("state: release lease of connector %q (counter %d): %w", lease.Connector, lease.Counter, ErrLeaseLost)
		}
		return fmt.Errorf("state: release lease of connector %q in table %q: %w", lease.Connector, l.table, err)
	}
	return nil
}
