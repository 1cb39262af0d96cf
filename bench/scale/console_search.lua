-- wrk script: the operator console's user search, GET /ui/admin?q=PREFIX, as a signed-in
-- administrator (COOKIE: the browser's Cookie header). Each request picks, at random:
--   65%  a prefix "bench_user" and 1 to 6 random digits (the first 1-9), each length alike:
--        at 1,000,000 users one digit matches about 111,000 users and six match one or two;
--   20%  the next page of an earlier answer: the "next page" link of a page that had one
--        (q=PREFIX&after=LASTUSERNAME), taken at random from a pool of NEXT_KEEP such links
--        in which new ones replace old ones at random (a first page while there is none);
--   10%  a prefix that matches nobody ("zz", "nobody", "bench_userx", "bench_user0");
--    5%  no prefix (the page as the console opens it: the first accounts).
-- Every answer must be 200 with the accounts page; the others are counted (a 303 to
-- /ui/login means the session did not work) and printed at the end with the mix, as lines
-- "console: ...". MAX_REQUESTS (optional): stop after that many. Run with -t1.
wrk.method = "GET"
local cookie = os.getenv("COOKIE")
assert(cookie and cookie ~= "", "COOKIE (the signed-in browser's Cookie header) is not set")
wrk.headers["Cookie"] = cookie
wrk.headers["Accept"] = "text/html"
local max = tonumber(os.getenv("MAX_REQUESTS") or "0")
local NEXT_KEEP = 1000
local EMPTY = { "zz", "nobody", "bench_userx", "bench_user0" }
sent, ok, bad, first_bad = 0, 0, 0, ""
firsts, nexts, empties, landings, rows, with_next = 0, 0, 0, 0, 0, 0
local links, nlinks = {}, 0
local threads = {}
math.randomseed(os.time())

function setup(thread)
  table.insert(threads, thread)
end

local function prefix()
  local digits = { tostring(math.random(1, 9)) }
  for _ = 2, math.random(1, 6) do digits[#digits + 1] = tostring(math.random(0, 9)) end
  return "bench_user" .. table.concat(digits)
end

function request()
  sent = sent + 1
  local r = math.random(100)
  local path
  if r <= 20 and nlinks > 0 then
    nexts = nexts + 1
    path = links[math.random(nlinks)]
  elseif r > 20 and r <= 30 then
    empties = empties + 1
    path = "/ui/admin?q=" .. EMPTY[math.random(#EMPTY)]
  elseif r > 30 and r <= 35 then
    landings = landings + 1
    path = "/ui/admin"
  else
    firsts = firsts + 1
    path = "/ui/admin?q=" .. prefix()
  end
  return wrk.format(nil, path)
end

-- The text of an attribute value as the template escaped it.
local function unescape(s)
  s = s:gsub("&#x2[fF];", "/"):gsub("&#47;", "/"):gsub("&#x3[dD];", "=")
  return (s:gsub("&amp;", "&"))
end

function response(status, headers, body)
  if status == 200 and body:find('role="search"', 1, true) then
    ok = ok + 1
    local _, n = body:gsub('<th scope="row">', "")
    rows = rows + n
    local link = body:match('<a href="([^"]*after=[^"]*)"')
    if link then
      with_next = with_next + 1
      link = unescape(link)
      if nlinks < NEXT_KEEP then
        nlinks = nlinks + 1
        links[nlinks] = link
      else
        links[math.random(NEXT_KEEP)] = link
      end
    end
  else
    bad = bad + 1
    if first_bad == "" then
      first_bad = tostring(status) .. " " .. (headers["Location"] or headers["location"] or "")
    end
  end
  if max > 0 and sent >= max then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local t = { sent = 0, ok = 0, bad = 0, firsts = 0, nexts = 0, empties = 0, landings = 0,
    rows = 0, with_next = 0 }
  local first = ""
  for _, thread in ipairs(threads) do
    for k in pairs(t) do t[k] = t[k] + (thread:get(k) or 0) end
    if first == "" then first = thread:get("first_bad") or "" end
  end
  io.write(string.format("console: sent %d, 200 %d, other %d%s\n", t.sent, t.ok, t.bad,
    first ~= "" and (" (first: " .. first .. ")") or ""))
  io.write(string.format(
    "console: mix first-page %d, next-page %d, no-match %d, no-prefix %d; rows %d, pages with a next link %d\n",
    t.firsts, t.nexts, t.empties, t.landings, t.rows, t.with_next))
end
