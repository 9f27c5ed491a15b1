namespace Deep.Profiler.Tests.EndToEnd;

/// <summary>
/// The real NativeAOT profiler in a real .NET process: ProbeTarget probes its own methods through the agent's
/// ProfilerBridge; a recording ProbeRuntime shows exactly what the rewritten IL handed over. Expected values are
/// worked out by hand from the methods in tests/TestApps/ProbeTarget/Targets.cs.
/// </summary>
public class ProfilerEndToEndTests(ProbeTargetProcess app) : IClassFixture<ProbeTargetProcess>
{
    private string Line(string scenario, string configuration = "Debug")
    {
        var run = app.Runs[configuration];
        Assert.True(run.Lines.TryGetValue(scenario, out var line), $"no '{scenario}' line ({configuration}); the app printed:\n{run.Output}\nprofiler log: {(File.Exists(app.LogPath) ? File.ReadAllText(app.LogPath) : "(none)")}");
        return line!;
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public void App_runs_every_scenario_and_exits_cleanly(string configuration)
    {
        Assert.True(app.Runs[configuration].ExitCode == 0, app.Runs[configuration].Output);
        Assert.Contains("done", app.Runs[configuration].Output);
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public void Arguments_of_a_static_method_reach_the_probe_runtime(string configuration) =>
        Assert.Equal("hits=1|0:Int32=2,1:Int32=3 result=5", Line("add", configuration));

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public void A_method_whose_probe_ran_is_reported_active(string configuration) =>
        Assert.Equal("Active", Line("add-status", configuration));

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public void When_Enter_answers_false_nothing_is_captured_and_the_method_still_works(string configuration) =>
        Assert.Equal("hits= result=2", Line("disabled", configuration));

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public void Replacing_a_probe_set_takes_effect_on_the_next_call(string configuration) =>
        Assert.Equal("hits=20|0:Int32=7 result=13", Line("replaced", configuration));

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public void Removing_all_probes_restores_the_original_method(string configuration)
    {
        Assert.Equal("hits= result=9", Line("removed", configuration));
        Assert.Equal("Reverted", Line("removed-status", configuration));
    }

    [Fact]
    public void This_a_reference_argument_and_a_local_are_captured_at_the_return() =>
        Assert.Equal("hits=2|0:object=Greeter(Hi ),1:object=Ada,2:object=Hi Ada result=Hi Ada", Line("greet"));

    // The recorder's ElapsedNanos hands back the start it was given: 1000 is TimestampIf's answer, so the duration
    // slot was computed from the start read before the line.
    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public void A_line_capture_fires_on_completion_with_no_exception_and_in_the_filter_with_the_exception(string configuration) =>
        Assert.Equal("hits=40|0:Int32=2,1:object=null,2:Int64=1000;40|0:Int32=9,1:object=InvalidOperationException(big 10),2:Int64=1000 result=6,threw big 10 top=Thrower",
            Line("line-capture", configuration));

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public void A_disabled_line_capture_reads_no_clock_and_fires_nowhere(string configuration) =>
        Assert.Equal("hits= result=6,threw big 10 top=Thrower", Line("line-capture-disabled", configuration));

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public void A_line_capture_starting_with_a_value_on_the_stack_is_refused(string configuration) =>
        Assert.StartsWith("error: the method cannot be instrumented: the evaluation stack holds 1 value(s) at the line's first instruction IL_",
            Line("line-capture-refused", configuration));

    [Fact]
    public void A_local_the_Release_compiler_kept_on_the_stack_is_refused_with_the_reason() =>
        Assert.Equal("error: the method cannot be instrumented: slot 2: local 0 does not exist (the method has 0 locals)", Line("greet", "Release"));

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public void Ref_and_out_arguments_are_dereferenced(string configuration) =>
        Assert.Equal("hits=3|0:Int32=42,1:object=bumped result=42", Line("bump", configuration));

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public void A_struct_this_is_captured_by_value(string configuration) =>
        Assert.Equal("hits=4|0:Point=(1,2) result=3", Line("point", configuration));

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public void Generic_method_values_arrive_with_their_instantiated_type(string configuration) =>
        Assert.Equal("hits=5|0:Int32=7;5|0:String=x result=7x", Line("echo", configuration));

    // A copy of the method that was compiled before the request and not called since still runs the old code: the
    // method is "partial" (requested, S_FALSE: the agent asks again a bounded number of times) until that copy runs it.
    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public void A_generic_method_is_active_only_once_every_compiled_instantiation_runs_the_new_code(string configuration) =>
        Assert.Equal("hits=26|0:Int32=2;26|0:String=b result=Partial (1 of 2 compiled copies of the method do not run the new code yet)|Active",
            Line("twin", configuration));

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public void Probe_at_a_loop_head_fires_on_every_iteration(string configuration) =>
        Assert.Equal("hits=6|0:Int32=0,1:Int32=0;6|0:Int32=1,1:Int32=0;6|0:Int32=2,1:Int32=1;6|0:Int32=3,1:Int32=3 result=6", Line("loop", configuration));

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public void Probes_at_the_start_of_try_catch_and_finally_fire_inside_them(string configuration) =>
        Assert.Equal("hits=7|0:object=start;8|0:object=parsing;9|0:object=failed result=failed+finally", Line("guarded", configuration));

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public void Probe_at_a_switch_case_fires_only_for_that_case(string configuration) =>
        Assert.Equal("hits=10|0:Int32=2 result=one,two", Line("pick", configuration));

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public void A_method_inlined_into_its_caller_still_fires(string configuration) =>
        Assert.Equal("hits=11|0:Int32=0;11|0:Int32=1;11|0:Int32=2 result=6", Line("inlined", configuration));

    // In Release the JIT would inline Thrice into the expression's DynamicMethod, which ReJIT cannot rewrite: the
    // profiler refuses that inlining (JITInlining), so the probe fires although the lambda was compiled first.
    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public void A_method_called_through_a_compiled_expression_still_fires(string configuration) =>
        Assert.Equal("hits=50|0:Int32=4;50|0:Int32=5 result=27", Line("via-lambda", configuration));

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public void Ten_threads_hitting_one_probe_are_all_recorded(string configuration) =>
        Assert.Equal("count=10000 sum=4995000", Line("threads", configuration));

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public void An_IL_offset_inside_an_instruction_is_refused_and_the_method_keeps_working(string configuration) =>
        Assert.Equal("error: the method cannot be instrumented: IL offset 9999 is not the start of an instruction of this method", Line("bad-offset", configuration));

    [Fact]
    public void A_local_that_does_not_exist_is_refused_with_the_reason() =>
        Assert.Equal("error: the method cannot be instrumented: slot 0: local 7 does not exist (the method has 0 locals)", Line("bad-local"));

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public void A_byref_like_local_is_refused_before_anything_is_rewritten(string configuration)
    {
        Assert.Equal("error: probe 15, slot 0 (Local 0) is of the byref-like type Span`1, which cannot be captured", Line("byref-like", configuration));
        Assert.Equal("3", Line("byref-like-result", configuration));
    }

    [Fact]
    public void A_ref_local_that_is_still_null_is_skipped_and_captured_once_set() =>
        Assert.Equal("hits=16|1:object=System.Int32[];17|0:Int32=5;16|1:object=System.Int32[];17| result=5,-1", Line("null-ref-local"));

    [Fact]
    public void The_opt_in_log_records_initialisation_and_rejit_requests()
    {
        var log = File.ReadAllText(app.LogPath);
        Assert.Contains("InitializeCurrentThread hr=0x00000000", log);
        Assert.Contains("ReJIT requested", log);
        Assert.Contains("SetILFunctionBody hr=0x00000000", log);
    }

    [Fact]
    public void Rewritten_code_binds_to_an_agent_loaded_as_a_startup_hook()
    {
        var (exitCode, output) = app.RunHookApp();
        Assert.True(exitCode == 0, output);
        Assert.Contains("hook: ok hits=30|0:Int32=6,1:Int32=7 result=42", output);
    }

    [Fact]
    public void Without_the_profiler_the_bridge_says_why_it_is_not_loaded()
    {
        var (exitCode, output) = app.RunApp([]);
        Assert.Equal(3, exitCode);
        Assert.Contains("not-loaded: CORECLR_ENABLE_PROFILING is not 1", output);
    }

    [Fact]
    public void With_another_profiler_clsid_the_bridge_names_the_other_profiler_and_the_process_survives()
    {
        // The runtime unloads a profiler it refuses; an unpinned NativeAOT image then crashed the process about one
        // start in three (SIGSEGV, exit 139). Several starts make a regression show.
        var env = app.ProfilerEnvironment();
        env["CORECLR_PROFILER"] = "{00000000-1111-2222-3333-444444444444}";
        for (int i = 0; i < 8; i++)
        {
            var (exitCode, output) = app.RunApp(env);
            Assert.True(exitCode == 3, $"start {i}: exit {exitCode}\n{output}");
            Assert.Contains("another CLR profiler is loaded in this process (CORECLR_PROFILER={00000000-1111-2222-3333-444444444444}", output);
        }
    }
}
