-- Argo CD health of the patchwarden.io kinds, from the conditions every status carries.
-- Install: argocd-cm `resource.customizations.health.patchwarden.io_*` (see the README).
local hs = {status = "Progressing", message = "waiting for the first reconcile"}
local suspended = obj.spec ~= nil and obj.spec.suspend == true
if obj.status == nil or obj.status.conditions == nil then
  if suspended then
    return {status = "Suspended", message = "spec.suspend is true"}
  end
  return hs
end
if obj.status.observedGeneration ~= nil and obj.metadata.generation ~= nil
    and obj.status.observedGeneration < obj.metadata.generation then
  return {status = "Progressing", message = "waiting for the latest spec to be observed"}
end
-- A spec that cannot work is Degraded even while suspended, as kstatus calls it Failed:
-- Suspended would hide it until someone resumes.
for _, c in ipairs(obj.status.conditions) do
  if c.type == "Stalled" and c.status == "True" then
    return {status = "Degraded", message = c.message}
  end
end
if suspended then
  return {status = "Suspended", message = "spec.suspend is true"}
end
local ready, reconciling
for _, c in ipairs(obj.status.conditions) do
  if c.type == "Ready" then
    ready = c
  elseif (c.type == "Reconciling" or c.type == "Progressing") and c.status == "True" then
    -- A PatchRun rolling out waves is Ready=False with Progressing=True: not a failure.
    reconciling = c
  end
end
if ready == nil then
  return hs
elseif ready.status == "True" then
  return {status = "Healthy", message = ready.message}
elseif ready.status == "Unknown" or reconciling ~= nil then
  return {status = "Progressing", message = ready.message}
end
return {status = "Degraded", message = ready.message}
