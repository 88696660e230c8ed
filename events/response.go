package events

// KafkaBatchResponse is the partial batch response a Kafka-triggered
// function returns when the event source mapping has ReportBatchItemFailures
// on. An empty or nil BatchItemFailures means the whole batch succeeded.
type KafkaBatchResponse struct {
	BatchItemFailures []KafkaBatchItemFailure `json:"batchItemFailures"`
}

// KafkaBatchItemFailure names one failed record.
type KafkaBatchItemFailure struct {
	ItemIdentifier KafkaItemIdentifier `json:"itemIdentifier"`
}

// KafkaItemIdentifier identifies a record by topic, partition and offset.
type KafkaItemIdentifier struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}
