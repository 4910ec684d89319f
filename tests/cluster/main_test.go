package cluster

import (
	"testing"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

func TestMain(m *testing.M) { testbroker.Main(m) }
