package produce

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

type options struct {
	keySep      string
	headers     []string
	partition   int32
	compression string
	acks        string
	linger      time.Duration
	file        string
}

// New returns the `produce` command.
func New() *cobra.Command {
	conn := &clikit.Conn{}
	var o options
	cmd := &cobra.Command{
		Use:   "produce TOPIC",
		Short: "Send lines from stdin or a file to a topic, one record per line",
		Long: `Read lines from stdin (or --file) and produce each one as a record.

With -k SEP the text before the first SEP on a line is the record key and
the rest the value; a line without SEP gets no key. -H k=v adds a header to
every record. Without -p the default partitioner hashes the key (or spreads
keyless records). A trailing "\r\n" or "\n" is not part of the value.

With --acks all (the default) the producer is idempotent and every record
is acknowledged only once it is on every in-sync replica. At the end a
summary goes to stderr; when stderr is a terminal and the run takes longer
than a second, a progress line is drawn as well. The exit status is non-zero
if any record was not acknowledged.`,
		Example: `  echo hello | gregor produce events
  printf 'user-1:signed up\nuser-2:signed up\n' | gregor produce signups -k :
  gregor produce logs -f app.log -z zstd -H source=app1 --linger 50ms
  gregor produce orders -p 0 --acks 1 < orders.txt`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd, conn, args[0], o)
		},
	}
	conn.AddFlags(cmd)
	f := cmd.Flags()
	f.StringVarP(&o.keySep, "key-separator", "k", "", "split each line at the first SEP into key and value")
	f.StringArrayVarP(&o.headers, "header", "H", nil, "header k=v added to every record (repeatable)")
	f.Int32VarP(&o.partition, "partition", "p", -1, "produce to this partition only (-1: partitioner decides)")
	f.StringVarP(&o.compression, "compression", "z", "none", "batch compression: "+clikit.CompressionNames)
	f.StringVar(&o.acks, "acks", "all", "acknowledgement: all|1|0")
	f.DurationVar(&o.linger, "linger", 10*time.Millisecond, "how long a batch waits for more records before it is sent")
	f.StringVarP(&o.file, "file", "f", "", "read lines from FILE instead of stdin")
	return cmd
}

func run(cmd *cobra.Command, conn *clikit.Conn, topic string, o options) error {
	hdrs, err := parseHeaders(o.headers)
	if err != nil {
		return err
	}
	opts := []kgo.Opt{kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(o.linger)}
	comp, err := clikit.Compression(o.compression)
	if err != nil {
		return err
	}
	opts = append(opts, comp)
	acks, err := clikit.Acks(o.acks)
	if err != nil {
		return err
	}
	opts = append(opts, acks...)
	if o.partition >= 0 {
		opts = append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	}
	if conn.Timeout > 0 {
		opts = append(opts, kgo.RecordDeliveryTimeout(conn.Timeout))
	}

	in := cmd.InOrStdin()
	if o.file != "" {
		f, err := os.Open(o.file)
		if err != nil {
			return fmt.Errorf("open input: %w", err)
		}
		defer f.Close()
		in = f
	}

	cl, err := conn.Client(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()

	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()

	var st stats
	stderr := cmd.ErrOrStderr()
	start := time.Now()
	stopProgress := startProgress(stderr, &st, start)

	lines := make(chan []byte, 256)
	readErr := make(chan error, 1)
	go func() {
		readErr <- readLines(ctx, in, lines)
		close(lines)
	}()

	sepBytes := []byte(o.keySep)
	interrupted := false
loop:
	for {
		select {
		case <-ctx.Done():
			interrupted = true
			break loop
		case line, ok := <-lines:
			if !ok {
				break loop
			}
			r := &kgo.Record{Value: line, Headers: hdrs}
			if o.partition >= 0 {
				r.Partition = o.partition
			}
			if len(sepBytes) > 0 {
				if k, v, found := bytes.Cut(line, sepBytes); found {
					r.Key, r.Value = k, v
				}
			}
			st.sent.Add(1)
			size := int64(len(r.Key) + len(r.Value))
			cl.Produce(context.Background(), r, func(r *kgo.Record, err error) {
				if err != nil {
					st.fail(err)
					return
				}
				st.acked.Add(1)
				st.bytes.Add(size)
			})
		}
	}
	// Flush even after Ctrl-C: records already handed to the client should
	// still get their acknowledgement rather than vanish silently.
	flushErr := cl.Flush(context.Background())
	stopProgress()
	elapsed := time.Since(start)

	var rerr error
	if !interrupted {
		rerr = <-readErr
	}
	fmt.Fprintf(stderr, "produced %s (%s) to %s in %s\n",
		clikit.Count(st.acked.Load(), "record"), clikit.Count(st.bytes.Load(), "byte"), topic, elapsed.Round(time.Millisecond))
	var errs []error
	if rerr != nil {
		errs = append(errs, fmt.Errorf("read input: %w", rerr))
	}
	if flushErr != nil {
		errs = append(errs, fmt.Errorf("flush: %w", flushErr))
	}
	if n := st.failed.Load(); n > 0 {
		errs = append(errs, fmt.Errorf("%d of %d records not acknowledged, first error: %w", n, st.sent.Load(), st.firstErr()))
	}
	if interrupted {
		errs = append(errs, errors.New("interrupted"))
	}
	return errors.Join(errs...)
}

// readLines sends each line of r without its line ending; the last line
// may lack a newline.
func readLines(ctx context.Context, r io.Reader, out chan<- []byte) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			line = bytes.TrimSuffix(line, []byte{'\n'})
			line = bytes.TrimSuffix(line, []byte{'\r'})
			select {
			case out <- line:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func parseHeaders(pairs []string) ([]kgo.RecordHeader, error) {
	var hdrs []kgo.RecordHeader
	for _, p := range pairs {
		k, v, err := clikit.ParseKV(p)
		if err != nil {
			return nil, fmt.Errorf("header: %w", err)
		}
		hdrs = append(hdrs, kgo.RecordHeader{Key: k, Value: []byte(v)})
	}
	return hdrs, nil
}

type stats struct {
	sent, acked, failed, bytes atomic.Int64

	mu    sync.Mutex
	first error
}

func (s *stats) fail(err error) {
	s.failed.Add(1)
	s.mu.Lock()
	if s.first == nil {
		s.first = err
	}
	s.mu.Unlock()
}

func (s *stats) firstErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first
}

// startProgress draws a progress line on a terminal once the run has
// lasted a second; the returned func stops it and clears the line.
func startProgress(w io.Writer, st *stats, start time.Time) func() {
	if !clikit.IsTerminal(w) {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		drawn := false
		for {
			select {
			case <-done:
				if drawn {
					fmt.Fprint(w, "\r\033[K")
				}
				return
			case <-t.C:
				secs := time.Since(start).Seconds()
				fmt.Fprintf(w, "\r\033[K%d records acked, %.1f MB, %.0f records/s",
					st.acked.Load(), float64(st.bytes.Load())/1e6, float64(st.acked.Load())/secs)
				drawn = true
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
