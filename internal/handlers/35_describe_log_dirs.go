package handlers

// DescribeLogDirs (key 35), versions 0-4.
//
// One log directory (the data dir) with the size of every hosted partition
// and, v4+, the file system's total and usable bytes. offset_lag is how far
// the log end offset is ahead of the high watermark (0 on leaders that are
// caught up), which is what Kafka reports for non-future replicas.

import (
	"syscall"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func (b *broker) describeLogDirs(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.DescribeLogDirsRequest)
	resp := kmsg.NewPtrDescribeLogDirsResponse()
	dir := kmsg.NewDescribeLogDirsResponseDir()
	dir.Dir = b.Config.DataDir
	var st syscall.Statfs_t
	if err := syscall.Statfs(b.Config.DataDir, &st); err == nil {
		dir.TotalBytes = int64(st.Blocks) * st.Bsize
		dir.UsableBytes = int64(st.Bavail) * st.Bsize
	} else {
		dir.TotalBytes, dir.UsableBytes = -1, -1
	}
	want := func(topic string, part int32) bool { return true }
	if req.Topics != nil {
		set := make(map[string]map[int32]bool)
		for _, t := range req.Topics {
			m := make(map[int32]bool)
			for _, p := range t.Partitions {
				m[p] = true
			}
			set[t.Topic] = m
		}
		want = func(topic string, part int32) bool { return set[topic][part] }
	}
	idx := make(map[string]int)
	for _, p := range b.Parts.All() {
		if !want(p.Topic, p.Index) {
			continue
		}
		i, ok := idx[p.Topic]
		if !ok {
			i = len(dir.Topics)
			idx[p.Topic] = i
			t := kmsg.NewDescribeLogDirsResponseDirTopic()
			t.Topic = p.Topic
			dir.Topics = append(dir.Topics, t)
		}
		dp := kmsg.NewDescribeLogDirsResponseDirTopicPartition()
		dp.Partition = p.Index
		dp.Size = p.Log().Size()
		if lag := p.Log().LogEndOffset() - p.HighWatermark(); lag > 0 {
			dp.OffsetLag = lag
		}
		dir.Topics[i].Partitions = append(dir.Topics[i].Partitions, dp)
	}
	resp.Dirs = append(resp.Dirs, dir)
	reply(resp)
}
