-- heph — tasks, docs and journals of heph from Neovim (0.7 or later).
--
-- Two kinds of buffer:
--   heph://next, heph://list/..., heph://view/NAME, heph://search/WORDS,
--   heph://backlinks/ID   lists, one node a line; b:heph_ids[line] is the
--                         line's node id. <CR> or gf opens it.
--   heph://node/ID        a doc's, journal's or project's body, or a task's
--                         context doc: :w saves it as an op, refused when the
--                         body changed elsewhere since it was read (the
--                         body_hash read is sent back as if_match, and heph
--                         checks it in the write's own transaction).
-- Every call goes through heph.rpc (the method table). The wiki-link syntax
-- is heph's (src/lib/body.h): [[ID|label]], label escaping \ [ ] |.
local rpc = require('heph.rpc')

local M = {}

local function err(msg)
	vim.notify(msg, vim.log.levels.ERROR)
end

local function info(msg)
	vim.notify(msg, vim.log.levels.INFO)
end

-- The result of a call, or nil after telling the user why not.
local function call(method, params)
	local r, msg = rpc.call(method, params)
	if r == nil then
		err(msg)
	end
	return r
end

-- ---- wiki links ----

local ID_PATTERN = '^[0-9A-HJKMNP-TV-Z]+$'

local function is_id(s)
	return #s == 26 and s:upper():match(ID_PATTERN) ~= nil
end

-- A label as the link syntax stores it: \, [, ] and | escaped.
function M.escape_label(s)
	return (s:gsub('[\\%[%]|]', function(c) return '\\' .. c end))
end

local function unescape(s)
	return (s:gsub('\\(.)', '%1'))
end

-- The wiki link around byte column col (1-based) of line: its target
-- (unescaped, before any unescaped '|'), or nil.
function M.link_at(line, col)
	local from = 1
	while true do
		local s = line:find('[[', from, true)
		if not s then
			return nil
		end
		-- the closing ]] is the first one not escaped
		local i, e = s + 2, nil
		while i <= #line - 1 do
			local c = line:sub(i, i)
			if c == '\\' then
				i = i + 2
			elseif c == ']' and line:sub(i + 1, i + 1) == ']' then
				e = i + 1
				break
			else
				i = i + 1
			end
		end
		if not e then
			return nil
		end
		if col >= s and col <= e then
			local inner = line:sub(s + 2, e - 2)
			local j, target = 1, nil
			while j <= #inner do
				local c = inner:sub(j, j)
				if c == '\\' then
					j = j + 2
				elseif c == '|' then
					target = inner:sub(1, j - 1)
					break
				else
					j = j + 1
				end
			end
			return vim.trim(unescape(target or inner))
		end
		from = e + 1
	end
end

-- The node a link target names: an id as it is, a name by its exact title
-- (any case), as heph resolves names on write.
local function resolve(target)
	if is_id(target) then
		return target:upper()
	end
	local found = call('node.complete', { prefix = target, limit = 1000 })
	if not found then
		return nil
	end
	for _, n in ipairs(found) do
		if n.title:lower() == target:lower() then
			return n.node_id
		end
	end
	err('heph: [[' .. target .. ']] names no node')
	return nil
end

-- ---- the node under the cursor ----

-- The node id the cursor is on: the line's node in a list buffer, else the
-- wiki link under the cursor, else the task whose context doc the buffer
-- holds; nil (after saying so) when there is none.
function M.node_under_cursor()
	local ids = vim.b.heph_ids
	if ids then
		local id = ids[vim.fn.line('.')]
		if id and id ~= '' then
			return id
		end
		err('heph: no node on this line')
		return nil
	end
	local target = M.link_at(vim.api.nvim_get_current_line(), vim.fn.col('.'))
	if target then
		return resolve(target)
	end
	-- a task's own buffer (its context doc) is about that task
	local st = vim.b.heph_node
	if st and st.kind == 'task' then
		return st.id
	end
	err('heph: the cursor is on no task (a list line or a [[link]])')
	return nil
end

-- ---- list buffers ----

local function task_line(t)
	local parts = { string.format('%-5s %-6s %s', t.handle or t.short_id or '', t.attention or '', t.title) }
	if t.do_date then
		table.insert(parts, 'do ' .. t.do_date)
	end
	if t.late_on then
		table.insert(parts, 'late ' .. t.late_on)
	end
	if t.recurrence_text then
		table.insert(parts, t.recurrence_text)
	end
	if t.project then
		table.insert(parts, '#' .. t.project)
	end
	if t.state and t.state ~= 'outstanding' then
		table.insert(parts, '(' .. t.state .. ')')
	end
	return table.concat(parts, '  ')
end

-- Fill (or make) the list buffer `name` with lines and their ids, and show
-- it; refresh is the function that computes them again (after :Heph done).
local function show_list(name, refresh)
	local lines, ids = refresh()
	if not lines then
		return
	end
	local buf = -1
	for _, b in ipairs(vim.api.nvim_list_bufs()) do
		if vim.api.nvim_buf_get_name(b) == name then
			buf = b
		end
	end
	if buf < 0 then
		buf = vim.api.nvim_create_buf(true, true)
		vim.api.nvim_buf_set_name(buf, name)
	end
	vim.api.nvim_set_current_buf(buf)
	vim.bo[buf].buftype = 'nofile'
	vim.bo[buf].bufhidden = 'hide'
	vim.bo[buf].swapfile = false
	vim.bo[buf].modifiable = true
	if #lines == 0 then
		lines, ids = { '(nothing)' }, { '' }
	end
	vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
	vim.bo[buf].modifiable = false
	vim.bo[buf].filetype = 'heph'
	vim.b[buf].heph_ids = ids
	M.refreshers = M.refreshers or {}
	M.refreshers[buf] = refresh
	vim.keymap.set('n', '<CR>', function() M.open_under_cursor() end, { buffer = buf, silent = true })
	vim.keymap.set('n', 'gf', function() M.open_under_cursor() end, { buffer = buf, silent = true })
end

-- page: the member holding the rows of a paged read (task.list), else nil
local function tasks_refresher(method, params, page)
	return function()
		local r, msg
		if page then
			r, msg = rpc.call_all(method, params, page)
		else
			r, msg = rpc.call(method, params)
		end
		if not r then
			err(msg)
			return nil
		end
		local lines, ids = {}, {}
		for _, t in ipairs(r) do
			table.insert(lines, task_line(t))
			table.insert(ids, t.node_id)
		end
		return lines, ids
	end
end

function M.next()
	show_list('heph://next', tasks_refresher('task.next', {}))
end

function M.list(project)
	local params = {}
	if project and project ~= '' then
		params.project = project
	end
	show_list('heph://list/' .. (project or ''), tasks_refresher('task.list', params, 'tasks'))
end

function M.view(name)
	if not name or name == '' then
		err('heph: :Heph view NAME (:Heph view <Tab> lists them)')
		return
	end
	show_list('heph://view/' .. name, tasks_refresher('view.show', { name = name }))
end

function M.search(words)
	if not words or vim.trim(words) == '' then
		err('heph: :Heph search WORDS')
		return
	end
	show_list('heph://search/' .. words, function()
		local r = call('search', { query = words })
		if not r then
			return nil
		end
		local lines, ids = {}, {}
		for _, n in ipairs(r) do
			local snippet = (n.snippet or ''):gsub('%s+', ' ')
			table.insert(lines, string.format('%-8s %s  %s', n.kind, n.title, snippet))
			table.insert(ids, n.node_id)
		end
		return lines, ids
	end)
end

-- The node the current buffer is about: a heph://node buffer's, else the
-- one under the cursor.
local function current_node()
	local st = vim.b.heph_node
	if st then
		return st.id
	end
	return M.node_under_cursor()
end

function M.backlinks()
	local id = current_node()
	if not id then
		return
	end
	show_list('heph://backlinks/' .. id, function()
		local r = call('link.backlinks', { id = id })
		if not r then
			return nil
		end
		local lines, ids = {}, {}
		for _, l in ipairs(r) do
			table.insert(lines, string.format('%-12s %-8s %s', l.type, l.kind or '', l.title or l.src))
			table.insert(ids, l.src)
		end
		return lines, ids
	end)
end

-- ---- actions on the task under the cursor ----

local function refresh_current()
	local buf = vim.api.nvim_get_current_buf()
	local refresh = M.refreshers and M.refreshers[buf]
	if refresh then
		local name = vim.api.nvim_buf_get_name(buf)
		local cursor = vim.api.nvim_win_get_cursor(0)
		show_list(name, refresh)
		cursor[1] = math.min(cursor[1], vim.api.nvim_buf_line_count(buf))
		vim.api.nvim_win_set_cursor(0, cursor)
	end
end

function M.done()
	local id = M.node_under_cursor()
	if not id then
		return
	end
	local t = call('task.done', { id = id })
	if not t then
		return
	end
	if t.state == 'outstanding' and t.do_date then
		info('heph: done; next ' .. t.title .. ' on ' .. t.do_date)
	else
		info('heph: done: ' .. t.title)
	end
	refresh_current()
end

function M.edit()
	local id = M.node_under_cursor()
	if id then
		M.open(id)
	end
end

function M.add(text)
	if not text or vim.trim(text) == '' then
		err('heph: :Heph add TEXT (quick add: "Buy milk tomorrow p2 #Errands every week")')
		return
	end
	local r = call('task.add', { text = text })
	if not r then
		return
	end
	local chips = {}
	for _, c in ipairs(r.parsed and r.parsed.chips or {}) do
		table.insert(chips, c.kind .. ' ' .. tostring(c.value))
	end
	info('heph: added ' .. r.task.handle .. ' ' .. r.task.title ..
		(#chips > 0 and (' (' .. table.concat(chips, ', ') .. ')') or ''))
	refresh_current()
end

function M.today()
	local j = call('journal.open', {})
	if j then
		M.open(j.node_id)
	end
end

function M.open_under_cursor()
	local id = M.node_under_cursor()
	if id then
		M.open(id)
	end
end

-- ---- heph://node/ID buffers ----

function M.open(id)
	vim.cmd('edit ' .. vim.fn.fnameescape('heph://node/' .. id))
end

-- What a node buffer shows and saves: for a task, its context doc.
-- Returns {text, hash, kind, title} or nil after saying why.
local function read_node(id)
	local n = call('node.get', { id = id })
	if not n then
		return nil
	end
	if n.kind == 'task' then
		local c = call('context.get', { id = id })
		if not c then
			return nil
		end
		local text, hash = c.body, c.body_hash
		if c.context_id then
			local d = call('node.get', { id = c.context_id })
			if not d then
				return nil
			end
			text, hash = d.body_expanded, d.body_hash
		end
		return { text = text, hash = hash, kind = 'task', title = n.title }
	end
	return { text = n.body_expanded, hash = n.body_hash, kind = n.kind, title = n.title }
end

local function text_to_lines(text)
	local lines = vim.split(text, '\n', { plain = true })
	local eol = #text > 0 and text:sub(-1) == '\n'
	if eol then
		table.remove(lines)
	end
	return lines, eol
end

local function buffer_text(buf)
	local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
	local st = vim.b[buf].heph_node
	local text = table.concat(lines, '\n')
	if text ~= '' and (st.eol or st.loaded == '') then
		text = text .. '\n'
	end
	return text
end

local function load(buf, id)
	local r = read_node(id)
	if not r then
		return false
	end
	local lines, eol = text_to_lines(r.text)
	vim.bo[buf].modifiable = true
	vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
	vim.b[buf].heph_node = { id = id, hash = r.hash, kind = r.kind, eol = eol, loaded = r.text }
	vim.bo[buf].modified = false
	return true, r
end

-- BufReadCmd heph://node/*
function M.read_cmd(buf, name)
	local id = name:match('^heph://node/([0-9A-Za-z]+)$')
	if not id then
		err('heph: not a node buffer name: ' .. name)
		return
	end
	vim.bo[buf].buftype = 'acwrite'
	vim.bo[buf].swapfile = false
	local ok, r = load(buf, id)
	if not ok then
		return
	end
	vim.bo[buf].filetype = 'markdown'
	vim.bo[buf].omnifunc = 'HephOmnifunc'
	vim.b[buf].heph_title = r.title
	vim.keymap.set('n', 'gf', function() M.open_under_cursor() end, { buffer = buf, silent = true })
end

-- BufWriteCmd heph://node/*: save the body with the hash it was read with.
function M.write_cmd(buf)
	local st = vim.b[buf].heph_node
	if not st then
		err('heph: this buffer was not read from heph; :edit it again')
		return
	end
	local text = buffer_text(buf)
	if text == st.loaded then
		vim.bo[buf].modified = false
		return
	end
	local method = st.kind == 'task' and 'context.edit' or 'doc.edit'
	local r, msg, code = rpc.call(method, { id = st.id, body = text, if_match = st.hash })
	if not r then
		if code == 6 then
			err(msg .. '\nheph: not saved: it changed elsewhere since this buffer read it. ' ..
				':edit! reads the current text (dropping yours); save yours elsewhere first.')
		else
			err(msg)
		end
		return
	end
	for _, u in ipairs(r.unresolved or {}) do
		vim.notify('heph: [[' .. u.target .. ']] ' .. (u.reason or 'matches no node'), vim.log.levels.WARN)
	end
	-- read back what heph stored: names became ids, titles are current
	local cursor = vim.api.nvim_win_get_cursor(0)
	if load(buf, st.id) then
		local count = vim.api.nvim_buf_line_count(buf)
		if vim.api.nvim_get_current_buf() == buf then
			cursor[1] = math.min(cursor[1], count)
			pcall(vim.api.nvim_win_set_cursor, 0, cursor)
		end
		info('heph: saved ' .. st.id:sub(1, 8))
	end
end

-- ---- [[ completion ----

-- 'omnifunc' of node buffers: titles of the nodes a link may name. The
-- chosen one is stored by id (CompleteDone below).
function M.omnifunc(findstart, base)
	if findstart == 1 then
		local line = vim.api.nvim_get_current_line():sub(1, vim.fn.col('.') - 1)
		local s = nil
		local from = 1
		while true do
			local i = line:find('[[', from, true)
			if not i then
				break
			end
			s, from = i, i + 2
		end
		if not s or line:find(']]', s, true) then
			return -3
		end
		return s + 1 -- the 0-based column after "[["
	end
	local found = rpc.call('node.complete', { prefix = base, limit = 50 })
	local items = {}
	for _, n in ipairs(found or {}) do
		table.insert(items, { word = n.title, menu = n.kind, user_data = { heph_id = n.node_id } })
	end
	return items
end

-- After a completion from the list: "[[Title" becomes "[[ID|Title]]".
function M.complete_done()
	local item = vim.v.completed_item
	local data = type(item) == 'table' and item.user_data
	if type(data) ~= 'table' or not data.heph_id then
		return
	end
	local row, col = unpack(vim.api.nvim_win_get_cursor(0))
	local line = vim.api.nvim_get_current_line()
	local before, after = line:sub(1, col), line:sub(col + 1)
	local typed = '[[' .. item.word
	if before:sub(-#typed) ~= typed then
		return
	end
	local link = '[[' .. data.heph_id .. '|' .. M.escape_label(item.word) .. ']]'
	before = before:sub(1, #before - #typed) .. link
	if after:sub(1, 2) == ']]' then
		after = after:sub(3)
	end
	vim.api.nvim_set_current_line(before .. after)
	vim.api.nvim_win_set_cursor(0, { row, #before })
end

-- ---- :Heph ----

local subcommands = {
	next = function() M.next() end,
	list = function(a) M.list(a) end,
	view = function(a) M.view(a) end,
	search = function(a) M.search(a) end,
	add = function(a) M.add(a) end,
	done = function() M.done() end,
	edit = function() M.edit() end,
	today = function() M.today() end,
	backlinks = function() M.backlinks() end,
}

function M.command(args)
	local sub, rest = args:match('^%s*(%S+)%s*(.-)%s*$')
	local fn = sub and subcommands[sub]
	if not fn then
		local names = vim.tbl_keys(subcommands)
		table.sort(names)
		err('heph: :Heph ' .. table.concat(names, '|') .. (sub and (' (not ' .. sub .. ')') or ''))
		return
	end
	fn(rest ~= '' and rest or nil)
end

function M.complete_command(arglead, cmdline)
	local words = vim.split(cmdline, '%s+')
	if #words <= 2 then
		local names = vim.tbl_keys(subcommands)
		table.sort(names)
		return vim.tbl_filter(function(n) return n:sub(1, #arglead) == arglead end, names)
	end
	if words[2] == 'view' then
		local out = {}
		for _, v in ipairs(rpc.call('view.list', {}) or {}) do
			if v.name:sub(1, #arglead) == arglead then
				table.insert(out, v.name)
			end
		end
		return out
	end
	if words[2] == 'list' then
		local tree = rpc.call('project.list', {}) or {}
		local out = {}
		for _, p in ipairs(tree) do
			if p.title:lower():sub(1, #arglead) == arglead:lower() then
				table.insert(out, p.title)
			end
		end
		return out
	end
	return {}
end

return M
