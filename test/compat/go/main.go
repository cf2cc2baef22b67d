// Command franzgo-driver drives franz-go (github.com/twmb/franz-go, from the Go module proxy) for
// test/compat/client-scenarios.ts: one scenario step per command, the observations printed as JSON on
// stdout (one object, or JSON lines for the long-running commands). Kafka errors are reported as
// Kafka's numeric error codes so the test compares them across clients.
//
//	franzgo-driver admin BOOTSTRAP TOPIC REPLICATION
//	franzgo-driver produce BOOTSTRAP TOPIC COUNT CODEC
//	franzgo-driver consume BOOTSTRAP TOPIC COUNT
//	franzgo-driver times BOOTSTRAP TOPIC BASE_MS
//	franzgo-driver steady-produce BOOTSTRAP TOPIC TAG STOP_FILE RATE
//	franzgo-driver group-member BOOTSTRAP TOPIC GROUP STOP_FILE
package main

import (
	"tributary.dev/test/compat/driver"

	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

const usage = `franzgo-driver: franz-go scenarios for Tributary's compatibility tests
  admin BOOTSTRAP TOPIC REPLICATION
  produce BOOTSTRAP TOPIC COUNT CODEC        (none|gzip|snappy|lz4|zstd)
  consume BOOTSTRAP TOPIC COUNT
  times BOOTSTRAP TOPIC BASE_MS
  steady-produce BOOTSTRAP TOPIC TAG STOP_FILE RATE
  group-member BOOTSTRAP TOPIC GROUP STOP_FILE
`

// The drivers' shared helpers, under the names this file has always used.
var (
	out       = driver.Out
	fail      = driver.Fail
	waitUntil = driver.WaitUntil
	str       = driver.Str
)

func must(err error) {
	if err != nil {
		fail("%v", err)
	}
}

// codeOf is Kafka's error code of an error (0 for none, -1 for an error that is not a Kafka one).
func codeOf(err error) int {
	if err == nil {
		return 0
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return int(ke.Code)
	}
	return -1
}

func client(bootstrap string, opts ...kgo.Opt) *kgo.Client {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(strings.Split(bootstrap, ",")...)}, opts...)...)
	must(err)
	return cl
}

func topicConfigs(ctx context.Context, adm *kadm.Client, topic string, names ...string) map[string]string {
	rcs, err := adm.DescribeTopicConfigs(ctx, topic)
	must(err)
	rc, err := rcs.On(topic, nil)
	must(err)
	must(rc.Err)
	found := map[string]string{}
	for _, c := range rc.Configs {
		for _, n := range names {
			if c.Key == n && c.Value != nil {
				found[n] = *c.Value
			}
		}
	}
	return found
}

func partitionCount(ctx context.Context, adm *kadm.Client, topic string) (int, error) {
	tds, err := adm.ListTopics(ctx, topic)
	if err != nil {
		return 0, err
	}
	td, ok := tds[topic]
	if !ok || td.Err != nil {
		return 0, td.Err
	}
	return len(td.Partitions), nil
}

func adminCmd(bootstrap, topic, replication string) {
	ctx := context.Background()
	cl := client(bootstrap)
	defer cl.Close()
	adm := kadm.NewClient(cl)
	rf, err := strconv.Atoi(replication)
	must(err)
	obs := map[string]any{}
	// CreateTopics (not CreateTopic, which turns a topic's error into its own) to see each topic's code.
	create := func(partitions int32, configs map[string]*string, name string) int {
		res, err := adm.CreateTopics(ctx, partitions, int16(rf), configs, name)
		must(err)
		return codeOf(res[name].Err)
	}
	obs["create"] = create(3, map[string]*string{"retention.ms": str("3600000"), "cleanup.policy": str("delete")}, topic)
	obs["createAgain"] = create(3, nil, topic)
	obs["createZeroPartitions"] = create(0, nil, topic+"-bad")
	all, err := adm.ListTopics(ctx)
	must(err)
	obs["listed"] = all.Has(topic)
	waitUntil("the topic in metadata", func() (bool, error) {
		n, err := partitionCount(ctx, adm, topic)
		obs["partitions"] = n
		return n > 0, err
	})
	obs["configs"] = topicConfigs(ctx, adm, topic, "retention.ms", "cleanup.policy")
	alt, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "retention.ms", Value: str("7200000")}, {Op: kadm.SetConfig, Name: "max.message.bytes", Value: str("2000000")}}, topic)
	must(err)
	for _, a := range alt {
		must(a.Err)
	}
	// Kafka applies a config change through its metadata log: a describe right after the alter may
	// still show the old value, so read until the change shows (or report what is there).
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got := topicConfigs(ctx, adm, topic, "retention.ms", "max.message.bytes")
		obs["configsAltered"] = got
		if (got["retention.ms"] == "7200000" && got["max.message.bytes"] == "2000000") || time.Now().After(deadline) {
			break
		}
	}
	cps, err := adm.UpdatePartitions(ctx, 5, topic)
	must(err)
	must(cps[topic].Err)
	waitUntil("5 partitions", func() (bool, error) {
		n, err := partitionCount(ctx, adm, topic)
		obs["partitionsAfterCreate"] = n
		return n == 5, err
	})
	cps, err = adm.UpdatePartitions(ctx, 2, topic)
	must(err)
	obs["shrinkPartitions"] = codeOf(cps[topic].Err)
	dels, err := adm.DeleteTopics(ctx, topic)
	must(err)
	must(dels[topic].Err)
	waitUntil("the topic gone", func() (bool, error) {
		all, err := adm.ListTopics(ctx)
		obs["listedAfterDelete"] = all.Has(topic)
		return err == nil && !all.Has(topic), err
	})
	dels, err = adm.DeleteTopics(ctx, topic)
	must(err)
	obs["deleteAgain"] = codeOf(dels[topic].Err)
	out(obs)
}

var codecs = map[string]kgo.CompressionCodec{"none": kgo.NoCompression(), "gzip": kgo.GzipCompression(), "snappy": kgo.SnappyCompression(), "lz4": kgo.Lz4Compression(), "zstd": kgo.ZstdCompression()}

func produceCmd(bootstrap, topic, count, codec string) {
	n, err := strconv.Atoi(count)
	must(err)
	c, ok := codecs[codec]
	if !ok {
		fail("unknown codec %s", codec)
	}
	// Defaults otherwise: franz-go's producer is idempotent with acks=all unless told not to be.
	cl := client(bootstrap, kgo.ProducerBatchCompression(c), kgo.ProducerLinger(5*time.Millisecond))
	defer cl.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked, failed := 0, []int{}
	for i := 0; i < n; i++ {
		wg.Add(1)
		r := &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf("k-%d", i)), Value: []byte(fmt.Sprintf("%s-%d", codec, i)), Headers: []kgo.RecordHeader{{Key: "n", Value: []byte(strconv.Itoa(i))}}}
		cl.Produce(context.Background(), r, func(_ *kgo.Record, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = append(failed, codeOf(err))
			} else {
				acked++
			}
			wg.Done()
		})
	}
	wg.Wait()
	pid, _, err := cl.ProducerID(context.Background())
	if err != nil {
		pid = -1
	}
	out(map[string]any{"acked": acked, "failed": failed, "producerId": pid})
}

// consumeCmd reads COUNT records from the beginning of every partition (direct consumer, no group).
func consumeCmd(bootstrap, topic, count string) {
	n, err := strconv.Atoi(count)
	must(err)
	cl := client(bootstrap, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	defer cl.Close()
	records := [][]any{}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for len(records) < n && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				fmt.Fprintf(os.Stderr, "fetch %s/%d: %v\n", t, p, err)
			}
		})
		fs.EachRecord(func(r *kgo.Record) {
			headers := [][]string{}
			for _, h := range r.Headers {
				headers = append(headers, []string{h.Key, string(h.Value)})
			}
			records = append(records, []any{r.Partition, r.Offset, string(r.Key), string(r.Value), headers})
		})
	}
	out(map[string]any{"records": records})
}

// timesCmd produces ten records with timestamps base+0s..base+9s in one batch to partition 0, then
// lists offsets by time.
func timesCmd(bootstrap, topic, baseMs string) {
	base, err := strconv.ParseInt(baseMs, 10, 64)
	must(err)
	ctx := context.Background()
	cl := client(bootstrap, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(100*time.Millisecond))
	defer cl.Close()
	rs := make([]*kgo.Record, 10)
	for i := range rs {
		rs[i] = &kgo.Record{Topic: topic, Partition: 0, Value: []byte(fmt.Sprintf("t-%d", i)), Timestamp: time.UnixMilli(base + int64(i)*1000)}
	}
	must(cl.ProduceSync(ctx, rs...).FirstErr())
	adm := kadm.NewClient(cl)
	found := map[string]any{}
	queries := map[string]int64{"before": base - 1, "first": base, "between": base + 3500, "last": base + 9000, "after": base + 10000}
	for name, ts := range queries {
		los, err := adm.ListOffsetsAfterMilli(ctx, ts, topic)
		must(err)
		lo, ok := los.Lookup(topic, 0)
		if !ok {
			fail("no answer for partition 0")
		}
		must(lo.Err)
		// Kafka answers offset -1 when no record is at or after the time; franz-go's admin then
		// reports the end offset with timestamp -1 (it resolves "after the last" to the end).
		if lo.Offset < 0 || lo.Timestamp < 0 {
			found[name] = nil
		} else {
			found[name] = []int64{lo.Offset, lo.Timestamp}
		}
	}
	start, err := adm.ListStartOffsets(ctx, topic)
	must(err)
	end, err := adm.ListEndOffsets(ctx, topic)
	must(err)
	s, _ := start.Lookup(topic, 0)
	e, _ := end.Lookup(topic, 0)
	found["beginning"] = s.Offset
	found["end"] = e.Offset
	out(found)
}

// steadyProduceCmd produces numbered messages until the stop file appears, then prints every
// acknowledged (sequence, partition, offset) and every failure.
func steadyProduceCmd(bootstrap, topic, tag, stopFile, rate string) {
	perSecond, err := strconv.Atoi(rate)
	must(err)
	cl := client(bootstrap, kgo.ProducerLinger(5*time.Millisecond), kgo.RecordDeliveryTimeout(120*time.Second), kgo.RetryBackoffFn(func(int) time.Duration { return 100 * time.Millisecond }))
	var mu sync.Mutex
	acked := [][]any{}
	failed := []string{}
	var wg sync.WaitGroup
	seq := 0
	deadline := time.Now().Add(10 * time.Minute) // bounded by the stop file; this guards against a lost test
	for time.Now().Before(deadline) {
		if _, err := os.Stat(stopFile); err == nil {
			break
		}
		n := seq
		wg.Add(1)
		cl.Produce(context.Background(), &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf("%s-%d", tag, n%16)), Value: []byte(fmt.Sprintf("%s:%d", tag, n))}, func(r *kgo.Record, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = append(failed, err.Error())
			} else {
				acked = append(acked, []any{n, r.Partition, r.Offset})
			}
			wg.Done()
		})
		seq++
		time.Sleep(time.Second / time.Duration(perSecond))
	}
	wg.Wait()
	cl.Close()
	out(map[string]any{"sent": seq, "acked": acked, "failed": failed, "remaining": seq - len(acked) - len(failed)})
}

// groupMemberCmd is a member of GROUP: it polls, commits synchronously after each batch, prints what
// it committed, and leaves the group when the stop file appears.
func groupMemberCmd(bootstrap, topic, group, stopFile string) {
	// franz-go balances cooperatively by default: the callbacks name only the partitions added or
	// taken away, so the member keeps its whole assignment itself and reports that.
	owned := map[int32]bool{}
	current := func() []int32 {
		ps := []int32{}
		for p := range owned {
			ps = append(ps, p)
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
		return ps
	}
	lose := func(m map[string][]int32) {
		for _, p := range m[topic] {
			delete(owned, p)
		}
		out(map[string]any{"event": "assigned", "partitions": current()})
	}
	cl := client(bootstrap,
		kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.SessionTimeout(10*time.Second), kgo.HeartbeatInterval(500*time.Millisecond),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			for _, p := range m[topic] {
				owned[p] = true
			}
			out(map[string]any{"event": "assigned", "partitions": current()})
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { lose(m) }),
		kgo.OnPartitionsRevoked(func(ctx context.Context, c *kgo.Client, m map[string][]int32) {
			// What was consumed is committed before the partitions go, as a careful application does.
			if err := c.CommitUncommittedOffsets(ctx); err != nil {
				fmt.Fprintf(os.Stderr, "commit on revoke: %v\n", err)
			}
			lose(m)
		}),
	)
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(stopFile); err == nil {
			break
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		records := [][]any{}
		fs.EachRecord(func(r *kgo.Record) { records = append(records, []any{r.Partition, r.Offset, string(r.Value)}) })
		if len(records) > 0 {
			if err := cl.CommitUncommittedOffsets(context.Background()); err != nil {
				fmt.Fprintf(os.Stderr, "commit: %v\n", err)
			}
			out(map[string]any{"event": "records", "records": records})
		}
	}
	cl.Close() // leaves the group
	out(map[string]any{"event": "closed"})
}

func main() {
	driver.Main(usage, map[string]driver.Command{
		"admin":          {Args: 3, Run: func(a []string) { adminCmd(a[0], a[1], a[2]) }},
		"produce":        {Args: 4, Run: func(a []string) { produceCmd(a[0], a[1], a[2], a[3]) }},
		"consume":        {Args: 3, Run: func(a []string) { consumeCmd(a[0], a[1], a[2]) }},
		"times":          {Args: 3, Run: func(a []string) { timesCmd(a[0], a[1], a[2]) }},
		"steady-produce": {Args: 5, Run: func(a []string) { steadyProduceCmd(a[0], a[1], a[2], a[3], a[4]) }},
		"group-member":   {Args: 4, Run: func(a []string) { groupMemberCmd(a[0], a[1], a[2], a[3]) }},
	})
}
