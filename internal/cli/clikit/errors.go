package clikit

import "fmt"

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
