// The probe runtime, the global snapshot cap and the self-log are process-wide: tests run one at a time so that
// one test's probes and limits never leak into another's assertions.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
