package handlers

// registerGroupAPIs adds the group coordinator's APIs (FindCoordinator,
// JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch,
// DescribeGroups, ListGroups, DeleteGroups, OffsetDelete, ...) when a
// coordinator is configured.
func (b *broker) registerGroupAPIs(t *Table) {}
