"""Builders shared by the tests and the benchmarks: composed classrooms (rooms), images made to
hurt a decoder (hostile_images) and what /proc says of a process (processes)."""
