package handlers

// registerTxnAPIs adds the transaction APIs when a transaction coordinator
// is configured: AddPartitionsToTxn (24), AddOffsetsToTxn (25), EndTxn
// (26), WriteTxnMarkers (27), DescribeProducers (61),
// DescribeTransactions (65), ListTransactions (66).
func (b *broker) registerTxnAPIs(t *Table) {
	if b.Txns == nil {
		return
	}
	t.add(&Handler{Key: 24, MinVersion: 0, MaxVersion: 4, Handle: b.addPartitionsToTxn})
	t.add(&Handler{Key: 25, MinVersion: 0, MaxVersion: 4, Handle: b.addOffsetsToTxn})
	t.add(&Handler{Key: 26, MinVersion: 0, MaxVersion: 4, Handle: b.endTxn})
	t.add(&Handler{Key: 27, MinVersion: 0, MaxVersion: 1, Handle: b.writeTxnMarkers})
	t.add(&Handler{Key: 61, MinVersion: 0, MaxVersion: 0, Handle: b.describeProducers})
	t.add(&Handler{Key: 65, MinVersion: 0, MaxVersion: 0, Handle: b.describeTransactions})
	t.add(&Handler{Key: 66, MinVersion: 0, MaxVersion: 1, Handle: b.listTransactions})
}
