package io.fedlora.coordinator.strategy;

/** A connected node a strategy may select for a round. */
public record Candidate(String nodeId, long numExamples) {}
