package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ErrInvalidConfig is wrapped by every error about an unknown config name or
// a bad value, so callers can map it to Kafka's INVALID_CONFIG.
var ErrInvalidConfig = errors.New("invalid config")

// Type is a config's data type, numbered as Kafka's DescribeConfigs
// ConfigType (kmsg.ConfigType) so handlers can cast it directly.
type Type int

// Config types, with Kafka's numbering.
const (
	Boolean  Type = 1
	String   Type = 2
	Int      Type = 3
	Short    Type = 4
	Long     Type = 5
	Double   Type = 6
	List     Type = 7
	Class    Type = 8
	Password Type = 9
)

func (t Type) String() string {
	switch t {
	case Boolean:
		return "boolean"
	case String:
		return "string"
	case Int:
		return "int"
	case Short:
		return "short"
	case Long:
		return "long"
	case Double:
		return "double"
	case List:
		return "list"
	case Class:
		return "class"
	case Password:
		return "password"
	}
	return "unknown"
}

// Config sources, numbered as Kafka's DescribeConfigs ConfigSource.
const (
	SourceDynamicTopic         int8 = 1
	SourceDynamicBroker        int8 = 2
	SourceDynamicDefaultBroker int8 = 3
	SourceStaticBroker         int8 = 4
	SourceDefault              int8 = 5
)

// Def describes one config.
type Def struct {
	Name    string
	Type    Type
	Default string // "" for a config without a default (null in Kafka)
	Doc     string
	// Validate checks a value beyond its type; nil means any value of the
	// type is accepted.
	Validate func(string) error
	// ReadOnly marks a static broker config: it cannot be changed with
	// AlterConfigs, only in the node's configuration.
	ReadOnly bool
	// BrokerSynonym is, for a topic config, the broker config supplying its
	// default (retention.ms <- log.retention.ms).
	BrokerSynonym string
	Sensitive     bool
	// fallbacks are coarser-grained broker configs consulted, in order,
	// when the config itself is not set (log.retention.ms <- minutes <- hours).
	fallbacks []fallback
}

type fallback struct {
	name string
	mult int64
}

// Check parses v as the def's type and runs its validator. The error wraps
// ErrInvalidConfig and names the config.
func (d Def) Check(v string) error {
	if err := checkType(d.Type, v); err != nil {
		return fmt.Errorf("%w: %s=%q: %v", ErrInvalidConfig, d.Name, v, err)
	}
	if d.Validate != nil {
		if err := d.Validate(v); err != nil {
			return fmt.Errorf("%w: %s=%q: %v", ErrInvalidConfig, d.Name, v, err)
		}
	}
	return nil
}

func checkType(t Type, v string) error {
	var err error
	switch t {
	case Boolean:
		_, err = parseBool(v)
	case Int:
		_, err = strconv.ParseInt(strings.TrimSpace(v), 10, 32)
	case Short:
		_, err = strconv.ParseInt(strings.TrimSpace(v), 10, 16)
	case Long:
		_, err = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	case Double:
		var f float64
		f, err = strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
			err = errors.New("not a finite number")
		}
	}
	if err != nil {
		return fmt.Errorf("not a valid %s", t)
	}
	return nil
}

// parseBool accepts Kafka's spellings: true/false in any case.
func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errors.New("not a boolean")
}

// SplitList splits a Kafka list value: comma separated, blanks trimmed,
// empty items dropped.
func SplitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func atLeast(min int64) func(string) error {
	return func(v string) error {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return errors.New("not a number")
		}
		if n < min {
			return fmt.Errorf("must be at least %d", min)
		}
		return nil
	}
}

func between(min, max int64) func(string) error {
	return func(v string) error {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return errors.New("not a number")
		}
		if n < min || n > max {
			return fmt.Errorf("must be between %d and %d", min, max)
		}
		return nil
	}
}

func ratio(v string) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f < 0 || f > 1 {
		return errors.New("must be between 0 and 1")
	}
	return nil
}

func oneOf(allowed ...string) func(string) error {
	return func(v string) error {
		for _, a := range allowed {
			if strings.TrimSpace(v) == a {
				return nil
			}
		}
		return fmt.Errorf("must be one of %s", strings.Join(allowed, ", "))
	}
}

// listOf accepts a non-empty list whose items are all allowed.
func listOf(allowed ...string) func(string) error {
	one := oneOf(allowed...)
	return func(v string) error {
		items := SplitList(v)
		if len(items) == 0 {
			return fmt.Errorf("must list at least one of %s", strings.Join(allowed, ", "))
		}
		for _, it := range items {
			if err := one(it); err != nil {
				return err
			}
		}
		return nil
	}
}

func nonEmpty(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("must not be empty")
	}
	return nil
}
