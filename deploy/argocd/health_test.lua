-- Runs health.lua over sample Gaims: lua5.1 deploy/argocd/health_test.lua (from the repository root).
-- Prints one line per case and "N passed, N failed"; exits 1 on any failure.
local script = assert(io.open("deploy/argocd/health.lua")):read("*a")

local function health(o)
  obj = o
  local chunk = assert(loadstring(script))
  return chunk()
end

local function gaim(overrides)
  local o = {
    apiVersion = "gaim.livingcontent.io/v1alpha1", kind = "Gaim",
    metadata = { name = "marvin", namespace = "marvin", generation = 2 },
    spec = { suspend = false },
    status = { observedGeneration = 2, syncStatus = "Synced", message = "all stores are ready and seeded", retryCount = 0,
      conditions = { { type = "Ready", status = "True", reason = "Ready" } } },
  }
  for k, v in pairs(overrides) do o[k] = v end
  return o
end

local cases = {
  { "synced and current is Healthy", gaim({}), "Healthy", "all stores" },
  { "progressing while provisioning", gaim({ status = { observedGeneration = 2, syncStatus = "Progressing", message = "MongoDBReady: 0/1 pods ready",
      conditions = { { type = "Ready", status = "False", reason = "Progressing" } } } }), "Progressing", "Progressing: MongoDBReady" },
  { "retrying a transient failure is Progressing", gaim({ status = { observedGeneration = 2, syncStatus = "Failed", errorType = "redis", retryCount = 3, message = "cannot seed redis" } }), "Progressing", "attempt 3" },
  { "the same transient error too many times in a row is Degraded", gaim({ status = { observedGeneration = 2, syncStatus = "Failed", errorType = "storage", retryCount = 9, sameErrorStreak = 6, degraded = true, message = "cannot seed lancedb" } }), "Degraded", "same storage error 6 times in a row" },
  { "a streak below the threshold is still Progressing", gaim({ status = { observedGeneration = 2, syncStatus = "Failed", errorType = "storage", retryCount = 4, sameErrorStreak = 4, degraded = false, message = "cannot seed lancedb" } }), "Progressing", "attempt 4" },
  { "a hibernated Gaim is Suspended", gaim({ status = { observedGeneration = 2, syncStatus = "Synced", message = "hibernated since 2026-12-07T00:00:00Z",
      conditions = { { type = "Ready", status = "False", reason = "Hibernated" }, { type = "Hibernated", status = "True", reason = "Hibernated", message = "stores at zero replicas since 2026-12-07T00:00:00Z" } } } }), "Suspended", "Hibernated: stores at zero replicas" },
  { "a Gaim going to sleep is Progressing", gaim({ status = { observedGeneration = 2, syncStatus = "Progressing", message = "hibernating",
      conditions = { { type = "Ready", status = "False", reason = "Hibernating" }, { type = "Hibernated", status = "False", reason = "Hibernating", message = "1 pod left" } } } }), "Progressing", "Hibernating" },
  { "an awake Gaim with hibernation set is Healthy", gaim({ status = { observedGeneration = 2, syncStatus = "Synced", message = "all stores are ready and seeded",
      conditions = { { type = "Ready", status = "True", reason = "Ready" }, { type = "Hibernated", status = "False", reason = "Awake", message = "the stores run" } } } }), "Healthy", "all stores" },
  { "a validation error is Degraded", gaim({ status = { observedGeneration = 2, syncStatus = "Failed", errorType = "validation", message = "spec.tier: invalid" } }), "Degraded", "validation: spec.tier" },
  { "a conflict is Degraded", gaim({ status = { observedGeneration = 2, syncStatus = "Failed", errorType = "conflict", message = "namespace already has Gaim x" } }), "Degraded", "conflict" },
  { "suspended is Suspended", gaim({ spec = { suspend = true } }), "Suspended", "suspend" },
  { "a stale observedGeneration is Progressing", gaim({ metadata = { name = "marvin", generation = 3 } }), "Progressing", "generation 3" },
  { "no status yet is Progressing", { apiVersion = "gaim.livingcontent.io/v1alpha1", kind = "Gaim", metadata = { name = "marvin", generation = 1 }, spec = {} }, "Progressing", "Waiting" },
  { "being deleted is Progressing", gaim({ metadata = { name = "marvin", generation = 2, deletionTimestamp = "2026-01-01T00:00:00Z" } }), "Progressing", "Deleting" },
  { "synced but Ready false is Progressing", gaim({ status = { observedGeneration = 2, syncStatus = "Synced", message = "x",
      conditions = { { type = "Ready", status = "False", reason = "Suspended" } } } }), "Progressing", "Suspended" },
}

local passed, failed = 0, 0
for _, c in ipairs(cases) do
  local name, object, want, fragment = c[1], c[2], c[3], c[4]
  local hs = health(object)
  if hs.status == want and string.find(hs.message or "", fragment, 1, true) then
    passed = passed + 1
    print("ok   " .. name)
  else
    failed = failed + 1
    print("FAIL " .. name .. ": got " .. tostring(hs.status) .. " / " .. tostring(hs.message))
  end
end
print(passed .. " passed, " .. failed .. " failed")
if failed > 0 then os.exit(1) end
