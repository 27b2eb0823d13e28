using System.Diagnostics;
using DevK8s.Tests.Shared;
using k8s;
using Xunit;
using Fake = DevK8s.Module.Tests.TelepresenceStandIn;

namespace DevK8s.Module.Tests;

/// <summary>
/// The Intercept strategy through the cmdlets. Telepresence cannot be installed here: a stand-in
/// (tests/DevK8s.FakeTelepresence) implements its documented CLI and JSON output and records every
/// call. The workload (for the ownership record) and the local process side are real.
/// </summary>
public class InterceptTests(NamespaceFixture ns) : IClassFixture<NamespaceFixture>
{
    private const string Secret = "s3cr3t-value-from-a-Secret";

    /// <summary>A local command that records its environment and leaves a grandchild running.</summary>
    private TempProject Project(Fake fake, string ports = "[\"8080:http\"]", string? command = null)
    {
        var project = new TempProject();
        var local = project.PathOf("local");
        Directory.CreateDirectory(local);
        command ??= $"sleep 300 & echo $! > {local}/grandchild.pid; echo \"SECRET_TOKEN=$SECRET_TOKEN DB_URL=$DB_URL LOCAL_ONLY=$LOCAL_ONLY\" > {local}/env.txt; echo started; wait";
        project.Write("devk8s.yaml", $"""
            namespace: {ns.Name}
            manifests: [k8s]
            services:
              api:
                intercept:
                  engine: telepresence
                  telepresence: {fake.Executable}
                  ports: {ports}
                  workingDirectory: local
                  command: '{command.Replace("'", "''")}'
                  env:
                    DB_URL: postgres://localhost:5432
                    LOCAL_ONLY: "yes"
            """);
        project.Write("k8s/api.yaml", ClusterProjectTests.Deployment("api"));
        return project;
    }

    private PowerShellHost Deployed(TempProject project, IKubernetes client)
    {
        var host = new PowerShellHost(project.Directory);
        host.Invoke("Deploy-DevProject").AssertNoErrors();
        ClusterProjectTests.WaitReady(client, "api", 1, ns.Name);
        return host;
    }

    private static bool Alive(int pid) => File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2].StartsWith('Z');

    private static void WaitFor(Func<bool> condition, int seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition()) { if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met"); Thread.Sleep(50); }
    }

    [SkippableFact]
    public void Start_connects_intercepts_runs_the_local_command_with_the_remote_env_and_Stop_cleans_everything_up()
    {
        var client = TestCluster.Require();
        using var fake = new Fake();
        using var project = Project(fake);
        using var host = Deployed(project, client);

        var result = host.Invoke("Start-DevService api -Strategy Intercept -Verbose 4>&1");
        result.AssertNoErrors();
        var session = Assert.Single(result.OfType("DevSession"));
        Assert.EndsWith(":api", session.Detail("InterceptId") as string);
        Assert.Equal(new[] { "8080:http" }, (string[])session.Detail("LocalPorts")!);
        var pid = (int)session.Detail("LocalPid")!;
        Assert.True(Alive(pid));

        WaitFor(() => File.Exists(project.PathOf("local/env.txt")) && File.ReadAllText(project.PathOf("local/env.txt")).Length > 0);
        Assert.Equal($"SECRET_TOKEN={Secret} DB_URL=postgres://localhost:5432 LOCAL_ONLY=yes", File.ReadAllText(project.PathOf("local/env.txt")).Trim());
        var grandchild = int.Parse(File.ReadAllText(project.PathOf("local/grandchild.pid")).Trim());
        Assert.True(Alive(grandchild));

        var calls = fake.Calls;
        Assert.Contains($"connect --context devk8s-test --namespace {ns.Name} --output json", calls);
        var intercept = Assert.Single(calls, c => c.StartsWith("intercept "));
        Assert.StartsWith("intercept api --port 8080:http --env-json ", intercept);
        Assert.EndsWith("--mount false --detailed-output --output json", intercept);
        var envJson = intercept.Split(' ')[5];
        Assert.False(File.Exists(envJson), "the env file with Secret values must be gone");

        var service = Assert.Single(host.Invoke("Get-DevService api").OfType("DevService"));
        Assert.Equal(("Dev", "Intercept"), (service.Str("Mode"), service.Str("Strategy")));

        var logs = host.Invoke("Watch-DevLog api -Tail 0 -Timeout 2").OfType("DevLogRecord");
        Assert.Contains(logs, r => r.Str("Source") == "Local" && r.Str("Message") == "started");
        Assert.DoesNotContain(logs, r => r.Str("Message")!.Contains(Secret));
        Assert.DoesNotContain(result.Output, o => o.ToString()!.Contains(Secret));

        host.Invoke("Stop-DevService api").AssertNoErrors();
        WaitFor(() => !Alive(pid) && !Alive(grandchild));
        Assert.Contains("leave api --output json", fake.Calls);
        Assert.Contains("quit --output json", fake.Calls);
        Assert.Equal("Prod", host.Invoke("Get-DevService api").OfType("DevService").Single().Str("Mode"));
    }

    [SkippableFact]
    public void A_matching_connection_is_reused_and_left_open_and_another_one_is_refused()
    {
        var client = TestCluster.Require();
        using var fake = new Fake();
        using var project = Project(fake);
        using var host = Deployed(project, client);
        fake.Set("connection.json", $$"""{"context":"devk8s-test","namespace":"{{ns.Name}}"}""");

        host.Invoke("Start-DevService api -Strategy Intercept").AssertNoErrors();
        host.Invoke("Stop-DevService api").AssertNoErrors();
        Assert.DoesNotContain(fake.Calls, c => c.StartsWith("connect"));
        Assert.DoesNotContain(fake.Calls, c => c.StartsWith("quit"));
        Assert.Contains("leave api --output json", fake.Calls);

        fake.Set("connection.json", """{"context":"prod-cluster","namespace":"payments"}""");
        var error = Assert.Single(host.Invoke("Start-DevService api -Strategy Intercept").Errors);
        Assert.StartsWith("DevK8s.ConnectedElsewhere,", error.FullyQualifiedErrorId);
        Assert.Contains("'prod-cluster', namespace 'payments'", error.Exception.Message);
        Assert.Contains("telepresence quit", error.ErrorDetails.RecommendedAction);
        Assert.Equal("Prod", host.Invoke("Get-DevService api").OfType("DevService").Single().Str("Mode"));
    }

    public static TheoryData<string, string, string> Failures => new()
    {
        { "no-traffic-manager", "TrafficManagerMissing", "telepresence helm install" },
        { "agent-timeout", "AgentTimeout", "#2758" },
        { "taken", "InterceptNameTaken", "telepresence list" },
        { "port-in-use", "LocalPortInUse", "intercept.ports" },
        { "too-old", "TelepresenceTooOld", "Upgrade Telepresence" },
        { "not-installed", "TelepresenceNotFound", "Install Telepresence" },
    };

    [SkippableTheory]
    [MemberData(nameof(Failures))]
    public void Each_failure_is_an_ErrorRecord_with_a_stable_id_and_a_fix_and_leaves_nothing_behind(string situation, string errorId, string fix)
    {
        var client = TestCluster.Require();
        using var fake = new Fake(situation == "too-old" ? "2.19.1" : "2.22.4");
        switch (situation)
        {
            case "no-traffic-manager": fake.Set("no-traffic-manager"); break;
            case "agent-timeout": fake.Set("agent-timeout"); break;
            case "taken": fake.Set("intercepts.json", """{"api":{"client":"bob@laptop","ports":["9090"]}}"""); break;
            case "port-in-use": fake.Set("intercepts.json", """{"other":{"client":"bob@laptop","ports":["8080:http"]}}"""); break;
        }
        using var project = Project(fake);
        if (situation == "not-installed") File.Delete(fake.Executable);
        using var host = Deployed(project, client);

        var error = Assert.Single(host.Invoke("Start-DevService api -Strategy Intercept").Errors);
        Assert.Equal($"DevK8s.{errorId},DevK8s.Cmdlets.StartDevServiceCommand", error.FullyQualifiedErrorId);
        Assert.Contains(fix, error.ErrorDetails.RecommendedAction);
        Assert.False(File.Exists(project.PathOf("local/env.txt")), "the local command must not start");
        Assert.Equal("Prod", host.Invoke("Get-DevService api").OfType("DevService").Single().Str("Mode"));
        if (situation is "agent-timeout" or "taken" or "port-in-use")
            Assert.Contains("quit --output json", fake.Calls); // we connected, so we disconnect
    }

    [SkippableFact]
    public void When_the_local_command_exits_the_intercept_is_left_and_the_service_is_back_in_prod_mode()
    {
        var client = TestCluster.Require();
        using var fake = new Fake();
        using var project = Project(fake, command: "echo working; sleep 3; echo done; exit 4");
        using var host = Deployed(project, client);
        host.Invoke("Start-DevService api -Strategy Intercept").AssertNoErrors();
        WaitFor(() => fake.Calls.Contains("leave api --output json"), 20);
        WaitFor(() => host.Invoke("Get-DevService api").OfType("DevService").Single().Str("Mode") == "Prod", 20);
        var session = Assert.Single(host.Invoke("Get-DevSession api").OfType("DevSession"));
        Assert.Equal(("Stopped", 4), (session.Str("State"), (int)session.Detail("ExitCode")!));
    }

    [SkippableFact]
    public void A_command_that_fails_at_once_is_reported_with_its_last_output()
    {
        var client = TestCluster.Require();
        using var fake = new Fake();
        using var project = Project(fake, command: "echo 'error: config file missing' >&2; exit 2");
        using var host = Deployed(project, client);
        var error = Assert.Single(host.Invoke("Start-DevService api -Strategy Intercept").Errors);
        Assert.StartsWith("DevK8s.LocalCommandFailed,", error.FullyQualifiedErrorId);
        Assert.Contains("exited at once with code 2", error.Exception.Message);
        Assert.Contains("error: config file missing", error.Exception.Message);
        Assert.Contains("leave api --output json", fake.Calls);
    }

    [SkippableFact]
    public void Several_ports_need_2_22_and_pass_one_flag_each()
    {
        var client = TestCluster.Require();
        using var old = new Fake("2.20.1");
        using var project = Project(old, ports: "[\"8080:http\", \"9090:metrics\"]");
        using var host = Deployed(project, client);
        var error = Assert.Single(host.Invoke("Start-DevService api -Strategy Intercept").Errors);
        Assert.StartsWith("DevK8s.TelepresenceTooOld,", error.FullyQualifiedErrorId);
        Assert.Contains("--port is repeatable since 2.22.0", error.Exception.Message);
        Assert.DoesNotContain(old.Calls, c => c.StartsWith("intercept"));

        using var current = new Fake("2.22.4");
        File.WriteAllText(project.PathOf("devk8s.yaml"), File.ReadAllText(project.PathOf("devk8s.yaml")).Replace(old.Executable, current.Executable));
        host.Invoke("Start-DevService api -Strategy Intercept").AssertNoErrors();
        Assert.Contains(current.Calls, c => c.StartsWith("intercept api --port 8080:http --port 9090:metrics "));
        host.Invoke("Stop-DevService api").AssertNoErrors();
    }

    [SkippableFact]
    public void EnvFile_writes_a_private_dotenv_for_a_debugger()
    {
        var client = TestCluster.Require();
        using var fake = new Fake();
        using var project = Project(fake);
        using var host = Deployed(project, client);
        host.Invoke("Start-DevService api -Strategy Intercept -EnvFile ./debug.env").AssertNoErrors();
        host.Invoke("Stop-DevService api").AssertNoErrors();
        var file = project.PathOf("debug.env");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        var lines = File.ReadAllLines(file);
        Assert.Contains($"SECRET_TOKEN={Secret}", lines);
        Assert.Contains("DB_URL=postgres://localhost:5432", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("PATH="));
    }

    [SkippableFact]
    public async Task The_PowerShell_process_exiting_kills_the_local_tree_and_leaves_the_intercept()
    {
        var client = TestCluster.Require();
        using var fake = new Fake();
        using var project = Project(fake);
        using (Deployed(project, client)) { }
        using var pwsh = ShellProcess.Start(project.Directory, "Start-DevService api -Strategy Intercept; Start-Sleep -Seconds 600");
        // Read both streams all along: a full pipe would block the shell, and they explain a failure.
        var stdout = pwsh.StandardOutput.ReadToEndAsync();
        var stderr = pwsh.StandardError.ReadToEndAsync();
        WaitFor(() => File.Exists(project.PathOf("local/grandchild.pid")) && File.ReadAllText(project.PathOf("local/grandchild.pid")).Trim().Length > 0, 60);
        var grandchild = int.Parse(File.ReadAllText(project.PathOf("local/grandchild.pid")).Trim());
        // SIGTERM, as when the terminal closes: exactly the process this test started.
        Process.Start("kill", ["-TERM", pwsh.Id.ToString()])!.WaitForExit();
        await pwsh.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var said = $"exit {pwsh.ExitCode}; stdout: {await stdout}; stderr: {await stderr}; calls: {string.Join(" / ", fake.Calls)}";
        try { WaitFor(() => !Alive(grandchild)); }
        catch (TimeoutException) { Assert.Fail("the grandchild survived; " + said); }
        Assert.True(fake.Calls.Contains("leave api --output json"), "no leave; " + said);
    }

    /// <summary>
    /// A telepresence command that never answers is stopped after the timeout and reported as the
    /// agent timeout it is, not as a cluster call. The timeout comes from DEVK8S_TELEPRESENCE_TIMEOUT
    /// (process-wide; the tests of this class run one after another and only they run telepresence).
    /// </summary>
    [SkippableFact]
    public void A_hanging_intercept_is_stopped_after_the_timeout_and_reported_as_AgentTimeout()
    {
        var client = TestCluster.Require();
        using var fake = new Fake();
        fake.Set("hang-intercept");
        using var project = Project(fake);
        using var host = Deployed(project, client);
        Environment.SetEnvironmentVariable("DEVK8S_TELEPRESENCE_TIMEOUT", "3");
        try
        {
            var clock = Stopwatch.StartNew();
            var error = Assert.Single(host.Invoke("Start-DevService api -Strategy Intercept").Errors);
            clock.Stop();
            Assert.Equal("DevK8s.AgentTimeout,DevK8s.Cmdlets.StartDevServiceCommand", error.FullyQualifiedErrorId);
            Assert.Contains("did not finish within 3 s", error.Exception.Message);
            Assert.Contains("#2758", error.ErrorDetails.RecommendedAction);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
            Assert.False(Alive(int.Parse(File.ReadAllText(Path.Combine(fake.State, "hung.pid")))), "the hung telepresence must be stopped");
            Assert.Contains("quit --output json", fake.Calls);
            Assert.False(File.Exists(project.PathOf("local/env.txt")), "the local command must not start");
            Assert.Equal("Prod", host.Invoke("Get-DevService api").OfType("DevService").Single().Str("Mode"));
        }
        finally { Environment.SetEnvironmentVariable("DEVK8S_TELEPRESENCE_TIMEOUT", null); }
    }

    /// <summary>Ctrl+C in the two seconds DevK8s watches a fresh local command for an early exit.</summary>
    [SkippableFact]
    public void Ctrl_C_while_the_local_command_starts_leaves_no_intercept_and_no_process()
    {
        var client = TestCluster.Require();
        using var fake = new Fake();
        using var project = Project(fake);
        using var host = Deployed(project, client);
        var env = project.PathOf("local/env.txt");

        var (state, took) = host.InvokeAndStop("Start-DevService api -Strategy Intercept",
            () => File.Exists(env) && File.ReadAllText(env).Length > 0, TimeSpan.FromSeconds(60));

        Assert.Equal(System.Management.Automation.PSInvocationState.Stopped, state);
        Assert.True(took < TimeSpan.FromSeconds(15), $"stopping took {took}");
        var grandchild = int.Parse(File.ReadAllText(project.PathOf("local/grandchild.pid")).Trim());
        WaitFor(() => !Alive(grandchild));
        Assert.Contains("leave api --output json", fake.Calls);
        Assert.Contains("quit --output json", fake.Calls);
        Assert.Empty(host.Invoke("Get-DevSession api").OfType("DevSession"));
        Assert.Equal("Prod", host.Invoke("Get-DevService api").OfType("DevService").Single().Str("Mode"));
    }
}
