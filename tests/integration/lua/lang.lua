-- Lua itself on musl: strings, formatting, math, tables, coroutines, utf8,
-- errors, the collector, os time functions. No files needed.
local n = 0
local function ok(cond, what)
  n = n + 1
  print((cond and "ok " or "not ok ") .. n .. " - " .. what)
end

ok(string.format("%5.2f|%g|%x|%q", 3.14159, 1e20, 255, "a\n") == " 3.14|1e+20|ff|\"a\\\n\"",
   "string.format")
ok(tonumber("0x10") == 16 and tonumber("1e3") == 1000.0 and math.tointeger(3.0) == 3, "tonumber")
ok(tostring(0.1) == "0.1" and tostring(1/3) == "0.33333333333333", "float to string")
ok(("hello world"):gsub("o", "0") == "hell0 w0rld", "gsub")
ok(("key=val"):match("(%w+)=(%w+)") == "key", "patterns")
local t = {}
for i = 1, 1000 do t[i] = (i * 7919) % 1000 end
table.sort(t)
ok(t[1] == 0 and t[1000] == 999, "table.sort")
ok(table.concat({1, 2, 3}, "-") == "1-2-3", "table.concat")
ok(math.floor(-3.5) == -4 and math.max(1, 5, 3) == 5 and math.abs(math.sin(math.pi)) < 1e-15,
   "math")
ok(7 // 2 == 3 and 7 % -3 == -2 and 2^10 == 1024.0 and (1 << 62) > 0, "integer arithmetic")
local co = coroutine.wrap(function(a) local b = coroutine.yield(a + 1); return b * 2 end)
ok(co(1) == 2 and co(5) == 10, "coroutines")
ok(utf8.len("héllo") == 5 and utf8.char(0x20AC) == "€", "utf8")
local okc, err = pcall(error, {code = 7})
ok(not okc and err.code == 7, "pcall and error")
ok(select(2, pcall(function() return nil + 1 end)):find("arithmetic") ~= nil, "runtime error text")
local weak = setmetatable({}, {__mode = "k"})
weak[{}] = 1
collectgarbage()
ok(next(weak) == nil, "collectgarbage clears a weak table")
ok(collectgarbage("count") > 0, "collectgarbage count")
ok(string.pack("<i4", 1) == "\1\0\0\0" and string.unpack("<i4", "\2\0\0\0") == 2, "string.pack")
ok(type(os.time()) == "number" and os.clock() >= 0, "os.time and os.clock")
ok(os.date("!%Y-%m-%d", 0) == "1970-01-01", "os.date")
ok(os.getenv("NFOS_NO_SUCH_VARIABLE") == nil, "os.getenv")
local s = 0
for i = 1, 200000 do s = s + i end
ok(s == 20000100000, "a loop of 200000")
local deep = 0
local function rec(k) if k == 0 then return 0 end deep = deep + 1; return 1 + rec(k - 1) end
ok(rec(150) == 150, "Lua recursion 150 deep")
print("1.." .. n)
