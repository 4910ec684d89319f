package clikit

import (
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
)

// KafkaErr joins a per-resource Kafka error with the broker's optional
// message. kerr errors already print as "NAME: description", which is the
// form users search for, so they are kept as they are.
func KafkaErr(err error, brokerMsg string) error {
	if err == nil {
		return nil
	}
	if brokerMsg != "" && brokerMsg != err.Error() {
		return fmt.Errorf("%w (%s)", err, brokerMsg)
	}
	return err
}

// IsCode reports whether err carries the Kafka error target.
func IsCode(err error, target *kerr.Error) bool {
	return errors.Is(err, target)
}
