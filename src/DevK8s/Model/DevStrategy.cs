namespace DevK8s;

/// <summary>How a service in dev mode gets a developer's changes.</summary>
public enum DevStrategy { Image, Sync, Binary, Intercept }

/// <summary>Prod: as the manifests say. Dev: patched by DevK8s. Missing: the workload does not exist.</summary>
public enum DevMode { Prod, Dev, Missing }

public enum DevCheckStatus { Pass, Warn, Fail }

public enum DevApplyAction { Created, Configured, Unchanged, WouldApply, Deferred }
