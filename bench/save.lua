-- wrk: the full 12-month save, POST /goals/<year>/ with all 24 fields and the
-- CSRF token. Each request is made by the next of the signed-in users in a
-- file of "sessionid csrftoken" lines (bench/run.py writes it: the marketers
-- of several accounts, or one). Every request's values differ from every
-- other's (bench/common.py save_body builds the same body), so no save is a
-- no-op: each one upserts 12 months and records 24 changes.
-- Arguments after --: path, sessions file, first number, number of threads.
dofile("wrk_report.lua")

local path, base, stride
local sessions = {}
local counter = 0

function init(args)
  path, base, stride = args[1], tonumber(args[3]), tonumber(args[4])
  for line in io.lines(args[2]) do
    local sessionid, token = line:match("^(%S+) (%S+)$")
    sessions[#sessions + 1] = { sessionid = sessionid, token = token }
  end
end

function request()
  counter = counter + 1
  -- id (0, 1, …) is set per thread by setup() in wrk_report.lua. The
  -- threads take turns through the users, so the requests in flight at once
  -- are different users' (unless there is only one).
  local n = base + counter * stride + id
  local user = sessions[(counter * stride + id) % #sessions + 1]
  -- wrk.format uses these headers instead of wrk.headers (Host aside).
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    Cookie = "sessionid=" .. user.sessionid .. "; csrftoken=" .. user.token,
  }
  -- 上書き保存 (bench/common.py save_body says why not 保存).
  local parts = { "action=overwrite", "csrfmiddlewaretoken=" .. user.token }
  for month = 1, 12 do
    local value = n * 12 + month
    local rate = value % 9999 + 1
    parts[#parts + 1] = string.format("cv_count_%d=%d", month, value)
    parts[#parts + 1] = string.format(
      "cv_rate_%d=%d.%02d", month, math.floor(rate / 100), rate % 100)
  end
  return wrk.format("POST", path, headers, table.concat(parts, "&"))
end
