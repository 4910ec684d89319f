package metadata

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gregor-stream/gregor/internal/config"
)

// metaProperties is <data>/meta.properties in Kafka's KRaft format
// (version=1, node.id, cluster.id), so operators and tools recognise it.
type metaProperties struct {
	NodeID    int32
	ClusterID string
}

const metaPropertiesFile = "meta.properties"

// readMetaProperties returns ok=false when the file does not exist.
func readMetaProperties(dir string) (metaProperties, bool, error) {
	data, err := os.ReadFile(filepath.Join(dir, metaPropertiesFile))
	if errors.Is(err, fs.ErrNotExist) {
		return metaProperties{}, false, nil
	}
	if err != nil {
		return metaProperties{}, false, fmt.Errorf("read meta.properties: %w", err)
	}
	props, err := config.ParseProperties(string(data))
	if err != nil {
		return metaProperties{}, false, fmt.Errorf("parse meta.properties: %w", err)
	}
	if v := props["version"]; v != "1" {
		return metaProperties{}, false, fmt.Errorf("meta.properties: unsupported version %q", v)
	}
	id, err := strconv.ParseInt(props["node.id"], 10, 32)
	if err != nil {
		return metaProperties{}, false, fmt.Errorf("meta.properties: bad node.id %q", props["node.id"])
	}
	return metaProperties{NodeID: int32(id), ClusterID: props["cluster.id"]}, true, nil
}

// writeMetaProperties replaces the file crash-safely.
func writeMetaProperties(dir string, mp metaProperties) error {
	content := fmt.Sprintf("#\n#%s\nnode.id=%d\nversion=1\ncluster.id=%s\n",
		time.Now().UTC().Format(time.UnixDate), mp.NodeID, mp.ClusterID)
	path := filepath.Join(dir, metaPropertiesFile)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write meta.properties: %w", err)
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return fmt.Errorf("write meta.properties: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync meta.properties: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close meta.properties: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace meta.properties: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open data dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync data dir: %w", err)
	}
	return nil
}
