-- Argo CD health check for gaim.livingcontent.io/Gaim (Lua 5.1, as Argo CD runs it).
-- Install: argocd-cm key `resource.customizations.health.gaim.livingcontent.io_Gaim` = this file.
hs = {}

local function condition(status, type)
  if status == nil or status.conditions == nil then return nil end
  for _, c in ipairs(status.conditions) do
    if c.type == type then return c end
  end
  return nil
end

if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "Deleting: the operator is cleaning up per spec.deletionPolicy"
  return hs
end

if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "spec.suspend is true: the operator makes no changes"
  return hs
end

local status = obj.status
if status == nil or status.observedGeneration == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile this Gaim"
  return hs
end

if obj.metadata.generation ~= nil and status.observedGeneration < obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to act on generation " .. tostring(obj.metadata.generation)
  return hs
end

local ready = condition(status, "Ready")
local message = status.message or ""

-- Hibernated (spec.hibernation): the stores are stopped on purpose, every byte kept. Suspended,
-- not Progressing or Degraded; a Gaim that failed on its way to sleep falls through to Failed below.
local hibernated = condition(status, "Hibernated")
if hibernated ~= nil and hibernated.status == "True" and status.syncStatus ~= "Failed" then
  hs.status = "Suspended"
  hs.message = "Hibernated: " .. (hibernated.message or message)
  return hs
end

if status.syncStatus == "Failed" then
  if status.errorType == "validation" or status.errorType == "conflict" then
    -- Terminal: nothing changes until the spec does.
    hs.status = "Degraded"
    hs.message = status.errorType .. ": " .. message
  elseif status.degraded == true then
    -- Still retrying, but the same error failed GAIM_DEGRADED_AFTER_FAILURES times in a row: not progress.
    hs.status = "Degraded"
    hs.message = "The same " .. (status.errorType or "error") .. " error " .. tostring(status.sameErrorStreak or 0) .. " times in a row (still retrying): " .. message
  else
    -- Retrying with backoff.
    hs.status = "Progressing"
    local retries = status.retryCount or 0
    hs.message = "Retrying (" .. (status.errorType or "error") .. ", attempt " .. tostring(retries) .. "): " .. message
  end
  return hs
end

if status.syncStatus == "Synced" and ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = message
  return hs
end

hs.status = "Progressing"
if ready ~= nil and ready.reason ~= nil then
  hs.message = ready.reason .. ": " .. message
else
  hs.message = message
end
return hs
