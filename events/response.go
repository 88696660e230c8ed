package events

// KafkaBatchResponse is the partial batch response a Kafka-triggered
// function returns when the event source mapping has ReportBatchItemFailures
// on. An empty or nil BatchItemFailures means the whole batch succeeded;
// Lambda resumes each reported partition from its lowest reported offset.
type KafkaBatchResponse struct {
	BatchItemFailures []KafkaBatchItemFailure `json:"batchItemFailures"`
}

// KafkaBatchItemFailure names one failed record.
type KafkaBatchItemFailure struct {
	ItemIdentifier KafkaItemIdentifier `json:"itemIdentifier"`
}

// KafkaItemIdentifier identifies a record by topic, partition and offset.
// On the wire it is {"partition":"<topic>-<partition>","offset":<offset>},
// the form Lambda expects for Kafka (see batchresponse.go for sources);
// MarshalJSON and UnmarshalJSON convert. The struct tags below are unused.
type KafkaItemIdentifier struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}
