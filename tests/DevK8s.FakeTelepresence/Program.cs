using System.Text.Json;
using System.Text.Json.Nodes;

// State files in $TELEPRESENCE_FAKE_STATE (tests write the ones that simulate a situation):
//   version               client version, default 2.22.4
//   connection.json       {"context","namespace"} while connected
//   intercepts.json       {"name": {"client","port"}} active intercepts
//   no-traffic-manager    connect fails as when the traffic-manager is not installed
//   agent-timeout         intercept fails as when the agent injector is blocked
//   hang-intercept        intercept never answers (its PID goes to hung.pid), as when the CLI waits on a stuck daemon
//   env.json              the workload's environment handed out by intercept --env-json
//   calls.log             every invocation, one line each
var state = Environment.GetEnvironmentVariable("TELEPRESENCE_FAKE_STATE") ?? throw new InvalidOperationException("TELEPRESENCE_FAKE_STATE is not set");
Directory.CreateDirectory(state);
File.AppendAllText(Path.Combine(state, "calls.log"), string.Join(' ', args) + "\n");

var version = File.Exists(Path.Combine(state, "version")) ? File.ReadAllText(Path.Combine(state, "version")).Trim() : "2.22.4";
var json = args.Contains("--output") && Value("--output") == "json";
var command = args.FirstOrDefault() ?? "";

return command switch
{
    "version" => PrintVersion(),
    "status" => Status(),
    "connect" => Connect(),
    "intercept" => Intercept(),
    "leave" => Leave(),
    "quit" => Quit(),
    "list" => List(),
    _ => Fail(command, $"unknown command \"{command}\" for \"telepresence\""),
};

int PrintVersion()
{
    Console.Write($"OSS Client         : v{version}\nOSS Root Daemon    : {(Connection() is null ? "not running" : "v" + version)}\nOSS User Daemon    : {(Connection() is null ? "not running" : "v" + version)}\n");
    return 0;
}

int Status()
{
    // A stopped daemon is an empty object (every field is omitempty).
    var connection = Connection();
    var user = new JsonObject();
    if (connection is not null)
    {
        user["running"] = true;
        user["name"] = "OSS User Daemon";
        user["version"] = "v" + version;
        user["status"] = "Connected";
        user["kubernetes_server"] = "https://127.0.0.1:6443";
        user["kubernetes_context"] = connection["context"]!.GetValue<string>();
        user["namespace"] = connection["namespace"]!.GetValue<string>();
        user["manager_namespace"] = "ambassador";
        user["intercepts"] = new JsonArray(Intercepts().Select(kv => (JsonNode)new JsonObject { ["name"] = kv.Key, ["client"] = kv.Value!["client"]!.GetValue<string>() }).ToArray());
    }
    var root = connection is null ? new JsonObject() : new JsonObject { ["running"] = true, ["name"] = "OSS Root Daemon", ["version"] = "v" + version };
    var manager = connection is null ? new JsonObject() : new JsonObject { ["name"] = "Traffic Manager", ["version"] = "v" + version };
    Console.WriteLine(new JsonObject { ["user_daemon"] = user, ["root_daemon"] = root, ["traffic_manager"] = manager }.ToJsonString());
    return 0;
}

int Connect()
{
    if (File.Exists(Path.Combine(state, "no-traffic-manager")))
        return Fail("connect", "connector.Connect: traffic manager not found, if it is not installed, please run 'telepresence helm install'. If it is installed, try connecting with a --manager-namespace to point telepresence to the namespace it's installed in.");
    var context = Value("--context") ?? "default";
    var ns = Value("--namespace") ?? Value("-n") ?? "default";
    if (Connection() is { } existing && (existing["context"]!.GetValue<string>() != context || existing["namespace"]!.GetValue<string>() != ns))
        return Fail("connect", $"connector.Connect: already connected to context {existing["context"]}, namespace {existing["namespace"]}");
    File.WriteAllText(Path.Combine(state, "connection.json"), new JsonObject { ["context"] = context, ["namespace"] = ns }.ToJsonString());
    return Ok("connect", $"Connected to context {context}, namespace {ns} (https://127.0.0.1:6443)\n");
}

int Intercept()
{
    var name = args.Skip(1).FirstOrDefault(a => !a.StartsWith('-')) ?? "";
    if (Connection() is null)
    {
        if (System.Version.Parse(version) >= new System.Version(2, 21))
            return Fail("intercept", "not connected; use 'telepresence connect' first");
        // 2.20 connected implicitly (with a deprecation warning on stderr in text mode).
        File.WriteAllText(Path.Combine(state, "connection.json"), new JsonObject { ["context"] = "default", ["namespace"] = "default" }.ToJsonString());
    }
    var ports = Values("--port");
    if (System.Version.Parse(version) < new System.Version(2, 22) && ports.Count > 1) ports = [ports[^1]]; // a plain string flag: the last one wins
    var intercepts = Intercepts();
    if (intercepts.ContainsKey(name))
        return Fail("intercept", $"connector.CreateIntercept: Intercept with name \"{name}\" already exists");
    foreach (var (other, info) in intercepts)
        foreach (var port in ports)
            if (info!["ports"]!.AsArray().Any(p => p!.GetValue<string>().Split(':')[0] == port.Split(':')[0]))
                return Fail("intercept", $"Port 127.0.0.1:{port.Split(':')[0]} is already in use by intercept {other}");
    if (File.Exists(Path.Combine(state, "hang-intercept")))
    {
        File.WriteAllText(Path.Combine(state, "hung.pid"), Environment.ProcessId.ToString());
        Thread.Sleep(Timeout.Infinite);
    }
    if (File.Exists(Path.Combine(state, "agent-timeout")))
        return Fail("intercept", $"connector.CreateIntercept: request timed out while waiting for agent {name}.{Connection()!["namespace"]} to arrive");

    var environment = File.Exists(Path.Combine(state, "env.json")) ? JsonNode.Parse(File.ReadAllText(Path.Combine(state, "env.json")))!.AsObject() : new JsonObject();
    if (Value("--env-json") is { } envFile) File.WriteAllText(envFile, environment.ToJsonString());
    intercepts[name] = new JsonObject { ["client"] = "fake@machine", ["ports"] = new JsonArray(ports.Select(p => (JsonNode)p).ToArray()) };
    SaveIntercepts(intercepts);
    var id = $"{Guid.NewGuid()}:{name}";
    if (args.Contains("--detailed-output") && json)
    {
        var local = ports.FirstOrDefault()?.Split(':')[0] ?? "8080";
        Console.WriteLine(new JsonObject
        {
            ["id"] = id, ["name"] = name, ["disposition"] = "ACTIVE", ["message"] = "", ["workload_kind"] = "Deployment",
            ["target_host"] = "127.0.0.1", ["target_port"] = int.Parse(local), ["port_id"] = ports.FirstOrDefault()?.Split(':').ElementAtOrDefault(1) ?? "",
            ["container_port"] = 8080, ["service_uid"] = Guid.NewGuid().ToString(), ["environment"] = environment.DeepClone(),
            ["mount"] = new JsonObject(), ["pod_ip"] = "172.17.0.99",
        }.ToJsonString());
        return 0;
    }
    return Ok("intercept", $"Using Deployment {name}\n   Intercept name: {name}\n   State         : ACTIVE\n");
}

int Leave()
{
    var name = args.ElementAtOrDefault(1) ?? "";
    var intercepts = Intercepts();
    if (!intercepts.Remove(name)) return Fail("leave", $"Intercept named \"{name}\" not found");
    SaveIntercepts(intercepts);
    return Ok("leave", "");
}

int Quit()
{
    File.Delete(Path.Combine(state, "connection.json"));
    SaveIntercepts([]);
    return Ok("quit", "Disconnected\n");
}

int List()
{
    var items = new JsonArray(Intercepts().Select(kv => (JsonNode)new JsonObject { ["name"] = kv.Key, ["namespace"] = Connection()?["namespace"]?.GetValue<string>(), ["workload_resource_type"] = "deployment" }).ToArray());
    if (json) Console.WriteLine(new JsonObject { ["cmd"] = "list", ["stdout"] = items }.ToJsonString());
    return 0;
}

int Ok(string cmd, string stdout)
{
    if (json) Console.WriteLine(new JsonObject { ["cmd"] = cmd, ["stdout"] = stdout }.ToJsonString());
    else Console.Write(stdout);
    return 0;
}

// In json mode the error is in "err" on stdout and nothing goes to stderr; every failure exits 1.
int Fail(string cmd, string message)
{
    if (json) Console.WriteLine(new JsonObject { ["cmd"] = cmd, ["err"] = message }.ToJsonString());
    else Console.Error.WriteLine($"telepresence {cmd}: error: {message}");
    return 1;
}

JsonObject? Connection() =>
    File.Exists(Path.Combine(state, "connection.json")) ? JsonNode.Parse(File.ReadAllText(Path.Combine(state, "connection.json")))!.AsObject() : null;

JsonObject Intercepts() =>
    File.Exists(Path.Combine(state, "intercepts.json")) ? JsonNode.Parse(File.ReadAllText(Path.Combine(state, "intercepts.json")))!.AsObject() : new JsonObject();

void SaveIntercepts(JsonObject intercepts) => File.WriteAllText(Path.Combine(state, "intercepts.json"), intercepts.ToJsonString());

string? Value(string flag)
{
    for (var i = 0; i < args.Length; i++)
    {
        if (args[i] == flag && i + 1 < args.Length) return args[i + 1];
        if (args[i].StartsWith(flag + "=")) return args[i][(flag.Length + 1)..];
    }
    return null;
}

List<string> Values(string flag)
{
    var values = new List<string>();
    for (var i = 0; i < args.Length; i++)
    {
        if (args[i] == flag && i + 1 < args.Length) values.Add(args[++i]);
        else if (args[i].StartsWith(flag + "=")) values.Add(args[i][(flag.Length + 1)..]);
    }
    return values;
}
