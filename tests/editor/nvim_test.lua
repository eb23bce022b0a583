-- nvim_test.lua — run by nvim.sh inside `nvim --headless -u NONE` with the
-- plugin on the runtimepath and HEPH_DB set: drives :Heph and heph://node
-- buffers as a user would, and checks each result with the real heph.
-- Prints "nvim: N passed, M failed" and exits non-zero on any failure.
local HEPH, C, P, T, G = os.getenv('HEPH'), os.getenv('C'), os.getenv('P'), os.getenv('T'), os.getenv('G')
vim.g.heph_command = HEPH

local pass, fail = 0, 0
local messages = {}
vim.notify = function(msg, level) table.insert(messages, { msg = msg, level = level or vim.log.levels.INFO }) end

local function report(desc, good, detail)
	if good then
		pass = pass + 1
	else
		fail = fail + 1
		io.stdout:write('FAIL ' .. desc .. '\n     ' .. (detail or '') .. '\n')
	end
end

local function eq(desc, want, got)
	report(desc, vim.deep_equal(want, got), 'want ' .. vim.inspect(want) .. ' got ' .. vim.inspect(got))
end

local function contains(desc, needle, hay)
	report(desc, type(hay) == 'string' and hay:find(needle, 1, true) ~= nil,
		vim.inspect(needle) .. ' not in ' .. vim.inspect(hay))
end

-- The real heph's JSON answer.
local function heph(...)
	local out = vim.fn.system(vim.list_extend({ HEPH, '--json' }, { ... }))
	if vim.v.shell_error ~= 0 then
		error('heph ' .. table.concat({ ... }, ' ') .. ' failed: ' .. out)
	end
	return vim.json.decode(out)
end

local function heph_run(...)
	local out = vim.fn.system(vim.list_extend({ HEPH }, { ... }))
	assert(vim.v.shell_error == 0, out)
end

local function last_message()
	return messages[#messages] and messages[#messages].msg or ''
end

local function last_error()
	for i = #messages, 1, -1 do
		if messages[i].level == vim.log.levels.ERROR then
			return messages[i].msg
		end
	end
	return ''
end

local function lines()
	return vim.api.nvim_buf_get_lines(0, 0, -1, false)
end

-- the line number of the first line holding text, or nil
local function line_of(text)
	for i, l in ipairs(lines()) do
		if l:find(text, 1, true) then
			return i
		end
	end
	return nil
end

local function titles(tasks)
	local out = {}
	for _, t in ipairs(tasks) do
		table.insert(out, t.title)
	end
	return out
end

local function keys(s)
	vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(s, true, false, true), 'mx', false)
end

local function run()
	-- :Heph next is heph's own "what is next", in its order
	vim.cmd('Heph next')
	eq(':Heph next opens heph://next', 'heph://next', vim.api.nvim_buf_get_name(0))
	local next = heph('next')
	eq(':Heph next lists what heph next lists', #next, #lines())
	for i, t in ipairs(next) do
		contains(':Heph next line ' .. i .. ' is ' .. t.title, t.title, lines()[i])
	end

	-- :Heph list PROJECT
	vim.cmd('Heph list Garden')
	local garden = heph('list', '--project', 'Garden')
	eq(':Heph list Garden lists the project\'s tasks', #garden, #lines())
	report(':Heph list Garden leaves out other tasks', line_of('Call the plumber') == nil, vim.inspect(lines()))
	-- a list longer than a page is read to its last page
	vim.g.heph_page_size = 1
	vim.cmd('Heph list')
	eq(':Heph list follows the pages to the end', titles(heph('list')), vim.tbl_map(function(l)
		return vim.trim(l:sub(14)):match('^(.-)%s%s') or vim.trim(l:sub(14))
	end, lines()))
	vim.g.heph_page_size = nil

	-- :Heph add: the one quick-add parser
	vim.cmd('Heph add Water the roses tomorrow p1 #Garden every week')
	local added
	for _, t in ipairs(heph('list', '--project', 'Garden')) do
		if t.title == 'Water the roses' then
			added = t
		end
	end
	report(':Heph add adds the task with its title parsed', added ~= nil, vim.inspect(titles(heph('list'))))
	if added then
		eq(':Heph add: tomorrow', '2026-11-19', added.do_date)
		eq(':Heph add: p1', 'red', added.attention)
		eq(':Heph add: every week', 'FREQ=WEEKLY', added.recurrence)
	end
	contains(':Heph add says what it understood', 'attention red', last_message())
	report(':Heph add refreshes the list it was given in', line_of('Water the roses') ~= nil, vim.inspect(lines()))

	-- :Heph done on the line under the cursor (a list line)
	vim.cmd('Heph list Garden')
	vim.api.nvim_win_set_cursor(0, { line_of('Buy seeds'), 0 })
	vim.cmd('Heph done')
	local seeds
	for _, t in ipairs(heph('list', '--all')) do
		if t.title == 'Buy seeds' then
			seeds = t
		end
	end
	eq(':Heph done marks the task under the cursor done', 'done', seeds and seeds.state)
	eq(':Heph done refreshes the list', nil, line_of('Buy seeds'))
	local before = #heph('list', '--all')

	-- :Heph view NAME
	vim.cmd('Heph view tom')
	eq(':Heph view tom lists the view', #heph('view', 'tom'), #lines())
	messages = {}
	vim.cmd('Heph view nosuch')
	contains('an unknown view is an error from heph', 'nosuch', last_error())
	messages = {}
	vim.cmd('Heph frobnicate')
	contains('an unknown subcommand lists the known ones', 'next', last_error())

	-- :Heph search WORDS
	vim.cmd('Heph search compost')
	report(':Heph search finds the doc', line_of('Compost notes') ~= nil, vim.inspect(lines()))

	-- a doc in a heph://node buffer: links by id, gf follows them
	vim.cmd('edit heph://node/' .. P)
	eq('a doc opens with its body, links shown with current titles',
		{ 'See [[' .. C .. '|Compost notes]].', 'Then [[' .. T .. '|Turn the heap]].' }, lines())
	eq('a node buffer is acwrite', 'acwrite', vim.bo.buftype)
	vim.api.nvim_win_set_cursor(0, { 1, 8 })
	vim.cmd('normal gf')
	eq('gf on a wiki link opens its target', 'heph://node/' .. C, vim.api.nvim_buf_get_name(0))
	eq('the target shows its body', { 'How to compost.' }, lines())

	-- :Heph backlinks of the buffer's node
	vim.cmd('Heph backlinks')
	eq(':Heph backlinks opens the list', 'heph://backlinks/' .. C, vim.api.nvim_buf_get_name(0))
	report(':Heph backlinks lists the plan', line_of('Plan') ~= nil, vim.inspect(lines()))
	vim.api.nvim_win_set_cursor(0, { line_of('Plan'), 0 })
	keys('<CR>')
	eq('<CR> on a list line opens its node', 'heph://node/' .. P, vim.api.nvim_buf_get_name(0))

	-- :Heph done on a wiki link to a task, in a doc
	vim.api.nvim_win_set_cursor(0, { 2, 10 })
	vim.cmd('Heph done')
	eq(':Heph done on a [[link]] marks the linked task done', 'done', heph('show', T).state)

	-- [[ completion: the omnifunc lists titles, the chosen one is stored by
	-- id ("Compo" names one node: Neovim inserts it without a menu)
	local menu = vim.fn.HephOmnifunc(0, 'Comp')
	eq('the omnifunc offers titles starting with the text typed', { 'Compass rose', 'Compost notes' },
		vim.tbl_map(function(i) return i.word end, menu))
	keys('Go[[Compo<C-x><C-o> and [[Compost notes]]<Esc>')
	eq('completion writes the link by id', '[[' .. C .. '|Compost notes]] and [[Compost notes]]', lines()[3])
	vim.cmd('write')
	eq(':w saves the body', 'See [[' .. C .. '|Compost notes]].\nThen [[' .. T .. '|Turn the heap]].\n[[' .. C ..
		'|Compost notes]] and [[' .. C .. '|Compost notes]]\n', heph('show', P).body)
	eq('after :w the buffer shows what heph stored (the typed name became an id)',
		'[[' .. C .. '|Compost notes]] and [[' .. C .. '|Compost notes]]', lines()[3])
	eq('after :w the buffer is not modified', false, vim.bo.modified)
	local ops = #vim.split(vim.trim(vim.fn.system({ HEPH, 'ops', '--json' })), '\n')
	vim.cmd('write')
	eq(':w of an unchanged buffer makes no op', ops, #vim.split(vim.trim(vim.fn.system({ HEPH, 'ops', '--json' })), '\n'))

	-- :w refuses when the body changed elsewhere since the buffer read it
	vim.cmd('edit heph://node/' .. C)
	keys('GoSaved from Neovim.<Esc>')
	vim.cmd('write')
	eq(':w saves the doc (without the final newline it was read without)', 'How to compost.\nSaved from Neovim.',
		heph('show', C).body)
	keys('GoMine, too late.<Esc>')
	heph_run('doc', 'edit', C, '--append', 'From elsewhere.')
	messages = {}
	vim.cmd('write')
	contains(':w after an edit elsewhere is refused, saying why', 'changed elsewhere', last_error())
	eq('the edit elsewhere stands', 'How to compost.\nSaved from Neovim.\nFrom elsewhere.\n', heph('show', C).body)
	eq('the refused buffer keeps its text and stays modified', true, vim.bo.modified)
	vim.cmd('edit!')
	eq(':edit! reads the current text', { 'How to compost.', 'Saved from Neovim.', 'From elsewhere.' }, lines())

	-- :Heph edit opens the task's context doc; its :w is conditional too
	vim.cmd('Heph list')
	vim.api.nvim_win_set_cursor(0, { line_of('Call the plumber'), 0 })
	vim.cmd('Heph edit')
	local plumber = heph('list')[1]
	for _, t in ipairs(heph('list')) do
		if t.title == 'Call the plumber' then
			plumber = t
		end
	end
	eq(':Heph edit opens the task', 'heph://node/' .. plumber.node_id, vim.api.nvim_buf_get_name(0))
	eq('an empty context doc is an empty buffer', { '' }, lines())
	vim.api.nvim_buf_set_lines(0, 0, -1, false, { '- [ ] find the number', '- [ ] ring' })
	vim.cmd('write')
	eq(':w saves the context doc', { 'find the number', 'ring' },
		vim.tbl_map(function(i) return i.text end, heph('context', plumber.node_id).checklist))
	keys('Go- [ ] pay<Esc>')
	heph_run('context', plumber.node_id, '--append', '- [ ] from the phone')
	messages = {}
	vim.cmd('write')
	contains('a context doc changed elsewhere is not overwritten', 'changed elsewhere', last_error())
	eq('the phone\'s item stands', 3, #heph('context', plumber.node_id).checklist)
	vim.cmd('edit!')
	vim.api.nvim_win_set_cursor(0, { 1, 0 })
	vim.cmd('Heph done')
	eq(':Heph done in a task\'s own buffer marks that task done', 'done', heph('show', plumber.node_id).state)

	-- :Heph today: the day's journal (HEPH_NOW fixes the day)
	vim.cmd('Heph today')
	keys('iPlanted the roses.<Esc>')
	vim.cmd('write')
	local j = heph('journal')
	eq(':Heph today opens today\'s journal', 'heph://node/' .. j.node_id, vim.api.nvim_buf_get_name(0))
	eq('the journal is saved', 'Planted the roses.\n', j.body)
	eq('nothing else was added or removed', before, #heph('list', '--all'))
end

local ok, e = pcall(run)
if not ok then
	report('the script ran to its end', false, tostring(e))
end
io.stdout:write(string.format('nvim: %d passed, %d failed\n', pass, fail))
vim.cmd((fail == 0 and 'qall!' or 'cquit!'))
