package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gregor-stream/gregor/internal/config"
	"github.com/gregor-stream/gregor/internal/group"
	"github.com/gregor-stream/gregor/internal/handlers"
	"github.com/gregor-stream/gregor/internal/httpapi"
	"github.com/gregor-stream/gregor/internal/metadata"
	"github.com/gregor-stream/gregor/internal/partition"
	"github.com/gregor-stream/gregor/internal/replication"
	"github.com/gregor-stream/gregor/internal/server"
	"github.com/gregor-stream/gregor/internal/storage"
	"github.com/gregor-stream/gregor/internal/txn"
)

func newServeCmd() *cobra.Command {
	var (
		configFile string
		sets       []string
		logLevel   string
		join       []string
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a Gregor node (a Kafka-compatible broker)",
		Long: `Run a Gregor node. With no flags it is a single-node cluster: node id 1,
data in ./gregor-data, Kafka on 127.0.0.1:9092, HTTP (/metrics, /healthz,
/readyz) on 127.0.0.1:8080, and a one-voter metadata quorum on 127.0.0.1:9093.

Every broker config can be set by its Kafka name with --set, in a Java
.properties file given with --config, or as an environment variable
GREGOR_<NAME> with dots as underscores (GREGOR_NUM_PARTITIONS=3).
Precedence: --set and flags > environment > config file > defaults.
SIGTERM or SIGINT shut the node down cleanly: logs are flushed and
checkpointed so the next start needs no recovery.`,
		Example: `  # a single node with the defaults
  gregor serve

  # another data dir and listener, three partitions per auto-created topic
  gregor serve --data-dir /var/lib/gregor --kafka-addr 0.0.0.0:9092 \
      --advertise-kafka-addr kafka.example.com:9092 --set num.partitions=3

  # settings from a file and the environment
  GREGOR_LOG_RETENTION_HOURS=24 gregor serve --config /etc/gregor/server.properties`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			setMap := map[string]string{}
			for _, s := range sets {
				k, v, ok := strings.Cut(s, "=")
				if !ok {
					return fmt.Errorf("--set %q: want name=value", s)
				}
				setMap[strings.TrimSpace(k)] = v
			}
			cmd.Flags().Visit(func(f *pflag.Flag) {
				if name, ok := config.FlagConfigName(f.Name); ok {
					setMap[name] = f.Value.String()
				}
			})
			if configFile == "" {
				configFile = os.Getenv("GREGOR_CONFIG")
			}
			cfg, err := config.LoadBroker(configFile, os.Environ(), setMap)
			if err != nil {
				return err
			}
			log := newLogger(logLevel)
			return runServe(cfg, log, join)
		},
	}
	f := cmd.Flags()
	f.String("data-dir", "./gregor-data", "directory for logs and metadata (log.dirs)")
	f.Int32("node-id", 1, "this node's id (node.id)")
	f.String("kafka-addr", "127.0.0.1:9092", "Kafka listener address")
	f.String("advertise-kafka-addr", "", "address clients are told to connect to (default: --kafka-addr)")
	f.String("http-addr", "127.0.0.1:8080", "HTTP listener for /metrics, /healthz, /readyz")
	f.String("raft-addr", "127.0.0.1:9093", "metadata quorum (raft) listener")
	f.String("voters", "", "metadata voters id@host:port,... (default: this node alone)")
	f.String("rack", "", "rack of this broker (broker.rack)")
	f.StringSliceVar(&join, "join", nil, "Kafka address(es) of a running cluster, for a node outside --voters: it joins as an observer")
	f.StringVar(&configFile, "config", "", "Java .properties file with broker configs")
	f.StringArrayVar(&sets, "set", nil, "set a broker config by its Kafka name: --set name=value (repeatable)")
	f.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn, error")
	return cmd
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

func runServe(cfg *config.Broker, log *slog.Logger, join []string) error {
	start := time.Now()
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	store, err := storage.OpenManager(storage.Options{
		Dir:                    cfg.DataDir,
		Logger:                 log,
		RetentionCheckInterval: time.Duration(cfg.LogRetentionCheckIntervalMs) * time.Millisecond,
		Cleaner:                cleanerOptions(cfg),
	})
	if err != nil {
		return fmt.Errorf("open storage: %w", err)
	}
	voters, err := config.ParseVoters(cfg.Voters)
	if err != nil {
		store.Close()
		return err
	}
	stopJoin, err := joinIfObserver(cfg, voters, join, log)
	if err != nil {
		store.Close()
		return err
	}
	meta, err := metadata.Start(metadata.Config{
		NodeID:   cfg.NodeID,
		DataDir:  cfg.DataDir,
		RaftAddr: cfg.RaftAddr,
		Voters:   voters,
		Logger:   log,
		Broker:   cfg,
	})
	stopJoin()
	if err != nil {
		store.Close()
		return fmt.Errorf("start metadata: %w", err)
	}
	parts := partition.NewManager(cfg.NodeID, store, cfg, log.With("component", "partition"))
	parts.SetAlterPartition(meta.AlterPartition)
	cancelSub := meta.Subscribe(parts.ApplyImage)
	parts.ApplyImage(nil, meta.Image())
	// Replication follows the roles the partition manager just applied,
	// so it subscribes after it; on one node it never has work.
	fetcher := replication.New(replication.Config{NodeID: cfg.NodeID, Meta: meta, Parts: parts, Broker: cfg, Log: log.With("component", "replication")})
	meta.SetRemote(fetcher.Controller())
	cancelFetch := meta.Subscribe(fetcher.OnImage)
	fetcher.OnImage(nil, meta.Image())
	stopISR := make(chan struct{})
	go parts.RunISRChecks(stopISR)

	pids := &txn.ProducerIDs{Meta: meta}
	groups := group.New(group.Config{NodeID: cfg.NodeID, Meta: meta, Parts: parts, Broker: cfg, Log: log.With("component", "group")})
	cancelGroups := meta.Subscribe(groups.OnImage)
	groups.OnImage(nil, meta.Image())
	deps := handlers.Deps{
		NodeID: cfg.NodeID,
		Meta:   meta,
		Parts:  parts,
		Store:  store,
		Config: cfg,
		Groups: groups,
		PIDs:   pids,
		Log:    log.With("component", "handlers"),
	}
	txns := txn.New(txn.Config{NodeID: cfg.NodeID, Meta: meta, Parts: parts, Broker: cfg, PIDs: pids,
		Markers: handlers.MarkerWriter(deps), Log: log.With("component", "txn")})
	cancelTxns := meta.Subscribe(txns.OnImage)
	txns.OnImage(nil, meta.Image())
	deps.Txns = txns
	table := handlers.NewTable(deps)
	srv := server.New(server.Config{
		MaxRequestBytes: cfg.SocketRequestMaxBytes,
		QueuedMaxBytes:  cfg.QueuedMaxRequestBytes,
	}, table, log.With("component", "server"))
	if err := srv.Listen(cfg.KafkaAddr); err != nil {
		meta.Close()
		store.Close()
		return err
	}
	host, port, err := advertised(cfg, srv.Addr())
	if err != nil {
		return err
	}
	incarnation, err := newIncarnation()
	if err != nil {
		return err
	}
	// Registered fenced, then unfenced by the first heartbeat: unfencing
	// is what elects this broker where it is the last in-sync replica of a
	// leaderless partition (after a controlled shutdown, say).
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err = meta.RegisterBroker(ctx, metadata.Broker{ID: cfg.NodeID, Host: host, Port: port, Rack: cfg.Rack, Incarnation: incarnation, Fenced: true})
	if err == nil {
		err = meta.Heartbeat(ctx, cfg.NodeID, incarnation)
	}
	cancel()
	if err != nil {
		srv.Close()
		fetcher.Close()
		meta.Close()
		store.Close()
		return fmt.Errorf("register broker: %w", err)
	}
	heartbeats := replication.StartHeartbeats(meta, cfg.NodeID, incarnation,
		time.Duration(cfg.BrokerHeartbeatIntervalMs)*time.Millisecond, log.With("component", "heartbeat"))

	web := httpapi.New(log.With("component", "http"), &httpapi.BrokerCollector{Server: srv, Parts: parts, Store: store}, groups.Collector())
	if err := web.Listen(cfg.HTTPAddr); err != nil {
		srv.Close()
		meta.Close()
		store.Close()
		return err
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve() }()
	go func() { errc <- web.Serve() }()
	web.SetReady(true)
	log.Info("gregor serving", "node", cfg.NodeID, "kafka", srv.Addr().String(), "advertised", net.JoinHostPort(host, strconv.Itoa(int(port))),
		"http", cfg.HTTPAddr, "data", cfg.DataDir, "cluster", meta.Image().ClusterID, "startup", time.Since(start).Round(time.Millisecond))

	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, syscall.SIGTERM, syscall.SIGINT)
	var runErr error
	select {
	case s := <-sigc:
		log.Info("shutting down", "signal", s.String())
	case runErr = <-errc:
		log.Error("listener stopped", "err", runErr)
	}
	signal.Stop(sigc)
	web.SetReady(false)
	shutdownStart := time.Now()
	heartbeats.Stop()
	controlledShutdown(meta, cfg.NodeID, incarnation, log)
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = web.Shutdown(sctx)
	scancel()
	_ = srv.Close()
	cancelTxns()
	txns.Close()
	cancelGroups()
	groups.Close()
	cancelFetch()
	fetcher.Close()
	close(stopISR)
	cancelSub()
	if err := meta.Close(); err != nil {
		log.Warn("close metadata", "err", err)
	}
	if err := store.Close(); err != nil {
		log.Error("close storage", "err", err)
		return err
	}
	log.Info("shut down cleanly", "took", time.Since(shutdownStart).Round(time.Millisecond))
	return runErr
}

// advertised is the host and port clients are told to use.
func advertised(cfg *config.Broker, bound net.Addr) (string, int32, error) {
	addr := cfg.AdvertiseKafkaAddr
	if addr == "" {
		addr = bound.String()
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("advertised address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return "", 0, fmt.Errorf("advertised port %q: %w", portStr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		// A wildcard listener cannot be advertised; clients on this
		// host can always reach the loopback address.
		host = "127.0.0.1"
	}
	return host, int32(port), nil
}

// cleanerOptions maps the log.cleaner.* broker configs.
func cleanerOptions(cfg *config.Broker) storage.CleanerOptions {
	num := func(name string) float64 {
		v, _ := strconv.ParseFloat(cfg.Raw[name], 64)
		return v
	}
	return storage.CleanerOptions{
		Disable:             !cfg.LogCleanerEnable,
		DedupeBufferSize:    int64(num("log.cleaner.dedupe.buffer.size")),
		IOMaxBytesPerSecond: num("log.cleaner.io.max.bytes.per.second"),
		Backoff:             time.Duration(num("log.cleaner.backoff.ms")) * time.Millisecond,
	}
}
