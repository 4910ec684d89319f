// Package group owns consumer groups: the classic protocol, the KIP-848
// consumer protocol, and committed offsets kept in __consumer_offsets.
package group
