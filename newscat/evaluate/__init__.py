"""Stages evaluate and wordclouds: metrics, figures and the report."""
