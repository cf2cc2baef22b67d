// Command sarama-driver drives IBM/sarama (github.com/IBM/sarama, from the Go module proxy) for
// test/compat/client-scenarios.ts, the same commands and output as test/compat/go (franz-go): one
// scenario step per command, observations as JSON on stdout, Kafka errors as Kafka's numeric codes.
// Sarama speaks the protocol of the Kafka version it is configured for: 2.8 by default.
//
//	sarama-driver admin BOOTSTRAP TOPIC REPLICATION
//	sarama-driver produce BOOTSTRAP TOPIC COUNT CODEC
//	sarama-driver consume BOOTSTRAP TOPIC COUNT
//	sarama-driver times BOOTSTRAP TOPIC BASE_MS
//	sarama-driver steady-produce BOOTSTRAP TOPIC TAG STOP_FILE RATE
//	sarama-driver group-member BOOTSTRAP TOPIC GROUP STOP_FILE
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

	"github.com/IBM/sarama"
)

const usage = `sarama-driver: Sarama scenarios for Tributary's compatibility tests
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

// must fails on an error; Sarama reports "no error" as the KError 0 in places, which is none.
func must(err error) {
	if err != nil && !errors.Is(err, sarama.ErrNoError) {
		fail("%v", err)
	}
}

// codeOf is Kafka's error code of an error (0 for none, -1 for an error that is not a Kafka one).
func codeOf(err error) int {
	if err == nil {
		return 0
	}
	var te *sarama.TopicError
	if errors.As(err, &te) {
		return int(te.Err)
	}
	var pe *sarama.TopicPartitionError
	if errors.As(err, &pe) {
		return int(pe.Err)
	}
	var ke sarama.KError
	if errors.As(err, &ke) {
		return int(ke)
	}
	return -1
}

func config() *sarama.Config {
	c := sarama.NewConfig()
	c.ClientID = "sarama-driver"
	c.Metadata.Retry.Max = 30
	c.Metadata.Retry.Backoff = 200 * time.Millisecond
	c.Admin.Timeout = 10 * time.Second
	c.Producer.Return.Successes = true
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	return c
}

// idempotent is Sarama's idempotent producer: it is not the default, and asks acks=all and one request in flight.
func idempotent(c *sarama.Config) *sarama.Config {
	c.Producer.Idempotent = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Net.MaxOpenRequests = 1
	c.Producer.Retry.Max = 50
	c.Producer.Retry.Backoff = 100 * time.Millisecond
	return c
}

func addrs(bootstrap string) []string { return strings.Split(bootstrap, ",") }

func topicConfigs(adm sarama.ClusterAdmin, topic string, names ...string) map[string]string {
	entries, err := adm.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic, ConfigNames: names})
	must(err)
	found := map[string]string{}
	for _, e := range entries {
		found[e.Name] = e.Value
	}
	return found
}

func partitionCount(adm sarama.ClusterAdmin, topic string) (int, error) {
	md, err := adm.DescribeTopics([]string{topic})
	if err != nil {
		return 0, err
	}
	if len(md) != 1 || md[0].Err != sarama.ErrNoError {
		return 0, fmt.Errorf("%v", md)
	}
	return len(md[0].Partitions), nil
}

func adminCmd(bootstrap, topic, replication string) {
	rf, err := strconv.Atoi(replication)
	must(err)
	adm, err := sarama.NewClusterAdmin(addrs(bootstrap), config())
	must(err)
	defer adm.Close()
	obs := map[string]any{}
	create := func(partitions int32, configs map[string]*string, name string) int {
		return codeOf(adm.CreateTopic(name, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: int16(rf), ConfigEntries: configs}, false))
	}
	obs["create"] = create(3, map[string]*string{"retention.ms": str("3600000"), "cleanup.policy": str("delete")}, topic)
	obs["createAgain"] = create(3, nil, topic)
	obs["createZeroPartitions"] = create(0, nil, topic+"-bad")
	all, err := adm.ListTopics()
	must(err)
	_, obs["listed"] = all[topic]
	waitUntil("the topic in metadata", func() (bool, error) {
		n, err := partitionCount(adm, topic)
		obs["partitions"] = n
		return n > 0, err
	})
	obs["configs"] = topicConfigs(adm, topic, "retention.ms", "cleanup.policy")
	must(adm.IncrementalAlterConfig(sarama.TopicResource, topic, map[string]sarama.IncrementalAlterConfigsEntry{
		"retention.ms":      {Operation: sarama.IncrementalAlterConfigsOperationSet, Value: str("7200000")},
		"max.message.bytes": {Operation: sarama.IncrementalAlterConfigsOperationSet, Value: str("2000000")},
	}, false))
	// Kafka applies a config change through its metadata log: read until the change shows.
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got := topicConfigs(adm, topic, "retention.ms", "max.message.bytes")
		obs["configsAltered"] = got
		if (got["retention.ms"] == "7200000" && got["max.message.bytes"] == "2000000") || time.Now().After(deadline) {
			break
		}
	}
	must(adm.CreatePartitions(topic, 5, nil, false))
	waitUntil("5 partitions", func() (bool, error) {
		n, err := partitionCount(adm, topic)
		obs["partitionsAfterCreate"] = n
		return n == 5, err
	})
	obs["shrinkPartitions"] = codeOf(adm.CreatePartitions(topic, 2, nil, false))
	must(adm.DeleteTopic(topic))
	waitUntil("the topic gone", func() (bool, error) {
		all, err := adm.ListTopics()
		_, listed := all[topic]
		obs["listedAfterDelete"] = listed
		return err == nil && !listed, err
	})
	obs["deleteAgain"] = codeOf(adm.DeleteTopic(topic))
	out(obs)
}

var codecs = map[string]sarama.CompressionCodec{"none": sarama.CompressionNone, "gzip": sarama.CompressionGZIP, "snappy": sarama.CompressionSnappy, "lz4": sarama.CompressionLZ4, "zstd": sarama.CompressionZSTD}

// producerIDOf reads the first batch of a partition with a raw Fetch: the producer id it carries.
func producerIDOf(bootstrap, topic string, partition int32) int64 {
	cl, err := sarama.NewClient(addrs(bootstrap), config())
	must(err)
	defer cl.Close()
	leader, err := cl.Leader(topic, partition)
	must(err)
	req := &sarama.FetchRequest{Version: 4, MaxWaitTime: 100, MinBytes: 1, MaxBytes: 1 << 20}
	req.AddBlock(topic, partition, 0, 1<<20, -1)
	res, err := leader.Fetch(req)
	must(err)
	b := res.GetBlock(topic, partition)
	if b == nil || b.Err != sarama.ErrNoError {
		return -1
	}
	for _, rs := range b.RecordsSet {
		if rs.RecordBatch != nil {
			return rs.RecordBatch.ProducerID
		}
	}
	return -1
}

func produceCmd(bootstrap, topic, count, codec string) {
	n, err := strconv.Atoi(count)
	must(err)
	c, ok := codecs[codec]
	if !ok {
		fail("unknown codec %s", codec)
	}
	cfg := idempotent(config())
	cfg.Producer.Compression = c
	cfg.Producer.Flush.Frequency = 5 * time.Millisecond
	cfg.Producer.Partitioner = sarama.NewRoundRobinPartitioner
	p, err := sarama.NewAsyncProducer(addrs(bootstrap), cfg)
	must(err)
	go func() {
		for i := 0; i < n; i++ {
			p.Input() <- &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(fmt.Sprintf("k-%d", i)), Value: sarama.StringEncoder(fmt.Sprintf("%s-%d", codec, i)), Headers: []sarama.RecordHeader{{Key: []byte("n"), Value: []byte(strconv.Itoa(i))}}}
		}
	}()
	acked, failed := 0, []int{}
	for acked+len(failed) < n {
		select {
		case <-p.Successes():
			acked++
		case e := <-p.Errors():
			failed = append(failed, codeOf(e.Err))
		}
	}
	must(p.Close())
	out(map[string]any{"acked": acked, "failed": failed, "producerId": producerIDOf(bootstrap, topic, 0)})
}

// consumeCmd reads COUNT records from the beginning of every partition (partition consumers, no group).
func consumeCmd(bootstrap, topic, count string) {
	n, err := strconv.Atoi(count)
	must(err)
	cons, err := sarama.NewConsumer(addrs(bootstrap), config())
	must(err)
	defer cons.Close()
	parts, err := cons.Partitions(topic)
	must(err)
	msgs := make(chan *sarama.ConsumerMessage)
	for _, p := range parts {
		pc, err := cons.ConsumePartition(topic, p, sarama.OffsetOldest)
		must(err)
		defer pc.AsyncClose()
		go func() {
			for m := range pc.Messages() {
				msgs <- m
			}
		}()
	}
	records := [][]any{}
	timeout := time.After(60 * time.Second)
	for len(records) < n {
		select {
		case r := <-msgs:
			headers := [][]string{}
			for _, h := range r.Headers {
				headers = append(headers, []string{string(h.Key), string(h.Value)})
			}
			records = append(records, []any{r.Partition, r.Offset, string(r.Key), string(r.Value), headers})
		case <-timeout:
			out(map[string]any{"records": records})
			return
		}
	}
	out(map[string]any{"records": records})
}

// timesCmd produces ten records with timestamps base+0s..base+9s in one batch to partition 0, then
// lists offsets by time.
func timesCmd(bootstrap, topic, baseMs string) {
	base, err := strconv.ParseInt(baseMs, 10, 64)
	must(err)
	cfg := config()
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	p, err := sarama.NewSyncProducer(addrs(bootstrap), cfg)
	must(err)
	msgs := make([]*sarama.ProducerMessage, 10)
	for i := range msgs {
		msgs[i] = &sarama.ProducerMessage{Topic: topic, Partition: 0, Value: sarama.StringEncoder(fmt.Sprintf("t-%d", i)), Timestamp: time.UnixMilli(base + int64(i)*1000)}
	}
	must(p.SendMessages(msgs))
	must(p.Close())
	adm, err := sarama.NewClusterAdmin(addrs(bootstrap), config())
	must(err)
	defer adm.Close()
	lookup := func(ts int64) *sarama.OffsetResult {
		res, err := adm.ListOffsets(map[string]map[int32]int64{topic: {0: ts}}, nil)
		must(err)
		r := res[topic][0]
		if r == nil {
			fail("no answer for partition 0")
		}
		must(r.Err)
		return r
	}
	found := map[string]any{}
	queries := map[string]int64{"before": base - 1, "first": base, "between": base + 3500, "last": base + 9000, "after": base + 10000}
	for name, ts := range queries {
		r := lookup(ts)
		if r.Offset < 0 || r.Timestamp < 0 {
			found[name] = nil
		} else {
			found[name] = []int64{r.Offset, r.Timestamp}
		}
	}
	found["beginning"] = lookup(sarama.OffsetOldest).Offset
	found["end"] = lookup(sarama.OffsetNewest).Offset
	out(found)
}

// steadyProduceCmd produces numbered messages until the stop file appears, then prints every
// acknowledged (sequence, partition, offset) and every failure.
func steadyProduceCmd(bootstrap, topic, tag, stopFile, rate string) {
	perSecond, err := strconv.Atoi(rate)
	must(err)
	cfg := idempotent(config())
	cfg.Producer.Flush.Frequency = 5 * time.Millisecond
	cfg.Producer.Retry.Max = 1000
	p, err := sarama.NewAsyncProducer(addrs(bootstrap), cfg)
	must(err)
	var mu sync.Mutex
	acked := [][]any{}
	failed := []string{}
	var wg sync.WaitGroup
	wg.Add(1)
	done := make(chan struct{})
	go func() {
		defer wg.Done()
		for {
			select {
			case m := <-p.Successes():
				mu.Lock()
				acked = append(acked, []any{m.Metadata.(int), m.Partition, m.Offset})
				mu.Unlock()
			case e := <-p.Errors():
				mu.Lock()
				failed = append(failed, e.Err.Error())
				mu.Unlock()
			case <-done:
				return
			}
		}
	}()
	seq := 0
	deadline := time.Now().Add(10 * time.Minute) // bounded by the stop file; this guards against a lost test
	for time.Now().Before(deadline) {
		if _, err := os.Stat(stopFile); err == nil {
			break
		}
		p.Input() <- &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(fmt.Sprintf("%s-%d", tag, seq%16)), Value: sarama.StringEncoder(fmt.Sprintf("%s:%d", tag, seq)), Metadata: seq}
		seq++
		time.Sleep(time.Second / time.Duration(perSecond))
	}
	// Wait (bounded) for every send to be answered, then close.
	for end := time.Now().Add(150 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		answered := len(acked) + len(failed)
		mu.Unlock()
		if answered >= seq {
			break
		}
	}
	close(done)
	wg.Wait()
	p.AsyncClose()
	mu.Lock()
	defer mu.Unlock()
	out(map[string]any{"sent": seq, "acked": acked, "failed": failed, "remaining": seq - len(acked) - len(failed)})
}

// member is a consumer group handler: it commits synchronously after each batch it read and when
// its partitions are taken away, and reports its assignment and what it committed.
type member struct{ topic string }

func (m *member) Setup(s sarama.ConsumerGroupSession) error {
	ps := append([]int32{}, s.Claims()[m.topic]...)
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	out(map[string]any{"event": "assigned", "partitions": ps})
	return nil
}

func (m *member) Cleanup(s sarama.ConsumerGroupSession) error {
	// Sarama balances eagerly: every partition goes at a rebalance; what was read is committed first.
	s.Commit()
	out(map[string]any{"event": "assigned", "partitions": []int32{}})
	return nil
}

func (m *member) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for {
		var batch []*sarama.ConsumerMessage
		select {
		case msg, ok := <-c.Messages():
			if !ok {
				return nil
			}
			batch = append(batch, msg)
		case <-s.Context().Done():
			return nil
		}
	more:
		for len(batch) < 500 {
			select {
			case msg, ok := <-c.Messages():
				if !ok {
					break more
				}
				batch = append(batch, msg)
			default:
				break more
			}
		}
		records := [][]any{}
		for _, r := range batch {
			s.MarkMessage(r, "")
			records = append(records, []any{r.Partition, r.Offset, string(r.Value)})
		}
		s.Commit()
		out(map[string]any{"event": "records", "records": records})
	}
}

func groupMemberCmd(bootstrap, topic, group, stopFile string) {
	cfg := config()
	cfg.Consumer.Offsets.AutoCommit.Enable = false
	cfg.Consumer.Group.Session.Timeout = 10 * time.Second
	cfg.Consumer.Group.Heartbeat.Interval = 500 * time.Millisecond
	cg, err := sarama.NewConsumerGroup(addrs(bootstrap), group, cfg)
	must(err)
	go func() {
		for err := range cg.Errors() {
			fmt.Fprintf(os.Stderr, "group: %v\n", err)
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			if err := cg.Consume(ctx, []string{topic}, &member{topic: topic}); err != nil {
				fmt.Fprintf(os.Stderr, "consume: %v\n", err)
				time.Sleep(200 * time.Millisecond)
			}
		}
	}()
	for deadline := time.Now().Add(10 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, err := os.Stat(stopFile); err == nil {
			break
		}
	}
	cancel()
	wg.Wait()
	must(cg.Close()) // leaves the group
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
