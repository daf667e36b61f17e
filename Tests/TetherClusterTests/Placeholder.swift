// Cluster tests: see ClusterHarness.swift
