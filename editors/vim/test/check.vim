" Headless check of syntax/drop.vim, run by tests/editors.rs:
"
"   vim -N -u NONE -i NONE -n -es -S check.vim
"
" Opens sample.drop (beside this file) with this folder's parent on
" 'runtimepath' and checks every `//>` comment line: each `TOKEN=Group` says
" that the first character of TOKEN in the nearest line above that is not a
" `//>` line has the syntax group Group (the innermost item). `TOKEN#N=Group`
" takes the N-th occurrence. Writes `OK <count> checks` or the failures to
" $DROPC_VIM_RESULT (default: result.txt here), and `SKIP ...` when this Vim
" has no syntax highlighting.

let s:here = expand('<sfile>:p:h')
let s:result = empty($DROPC_VIM_RESULT) ? s:here . '/result.txt' : $DROPC_VIM_RESULT

if !has('syntax')
  call writefile(['SKIP: this vim has no +syntax'], s:result)
  qa!
endif

let &runtimepath = fnamemodify(s:here, ':h') . ',' . &runtimepath
filetype plugin on
syntax on
execute 'edit ' . fnameescape(s:here . '/sample.drop')

let s:failures = []
let s:checks = 0
if &filetype !=# 'drop'
  call add(s:failures, 'filetype is "' . &filetype . '", not "drop" (ftdetect)')
endif
if &commentstring !=# '// %s'
  call add(s:failures, 'commentstring is "' . &commentstring . '" (ftplugin)')
endif
if get(b:, 'current_syntax', '') !=# 'drop'
  call add(s:failures, 'syntax/drop.vim did not load')
endif

let s:source = 0
for s:lnum in range(1, line('$'))
  let s:line = getline(s:lnum)
  if s:line !~# '^//>'
    let s:source = s:lnum
    continue
  endif
  let s:text = getline(s:source)
  for s:item in split(s:line[3:])
    let s:m = matchlist(s:item, '^\(.\{-1,}\)\%(#\(\d\+\)\)\==\(\w\+\)$')
    if empty(s:m)
      call add(s:failures, s:lnum . ': cannot read check "' . s:item . '"')
      continue
    endif
    let [s:token, s:nth, s:want] = [s:m[1], s:m[2] ==# '' ? 1 : str2nr(s:m[2]), s:m[3]]
    let s:col = -1
    for s:i in range(s:nth)
      let s:col = stridx(s:text, s:token, s:col + 1)
      if s:col < 0
        break
      endif
    endfor
    let s:checks += 1
    if s:col < 0
      call add(s:failures, s:lnum . ': "' . s:token . '"#' . s:nth . ' is not in line ' . s:source)
      continue
    endif
    let s:got = synIDattr(synID(s:source, s:col + 1, 1), 'name')
    if s:got !=# s:want
      call add(s:failures, printf('%d:%d "%s": expected %s, got %s', s:source, s:col + 1, s:token, s:want, s:got ==# '' ? '(none)' : s:got))
    endif
  endfor
endfor

if empty(s:failures)
  call writefile(['OK ' . s:checks . ' checks'], s:result)
else
  call writefile(['FAILED ' . len(s:failures) . ' of ' . s:checks . ' checks'] + s:failures, s:result)
endif
qa!
