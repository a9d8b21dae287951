" Vim syntax file
" Language:    drop (dropc generative NFT collections)
" Filenames:   *.drop
" Source:      grammar/drop.pest in the dropc repository is the source of truth.
"
" Newlines are not significant in .drop, so names that follow a keyword are
" found with `nextgroup` chains that skip whitespace and line breaks. A comment
" between a keyword and its name breaks the chain (the name is then left
" plain).

if exists('b:current_syntax')
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

syn case match
syn sync fromstart

" -- Building blocks ----------------------------------------------------------
" pest ident: letters, digits, `_` and `-` (a `-` never starts `->`), not
" starting with a digit. Non-ASCII characters are taken as letters.
let s:ic = '\%([A-Za-z0-9_]\|[^\x01-\x7f]\|-\%(>\)\@!\)'
let s:id = '\%([A-Za-z_]\|[^\x01-\x7f]\)' . s:ic . '*'
" Not in the middle of a word, and not followed by more of one.
let s:before = '\%([A-Za-z0-9_-]\|[^\x01-\x7f]\)\@1<!'
let s:after = s:ic . '\@!'
" A quoted name as one token (strings never span lines).
let s:q = '"\%([^"\\]\|\\.\)*"'
" Keywords that start a statement.
let s:statements = '\%(collection\|trait\|hidden\|metadata\|forbid\|require\|when\|count\|unique\|legendary\|group\)'

function! s:Word(words) abort
  " A keyword; `count.x` is a variant reference, not a keyword.
  return s:before . '\%(' . a:words . '\)' . s:after . '\.\@!'
endfunction

" -- Comments -----------------------------------------------------------------
syn keyword dropTodo contained TODO FIXME XXX NOTE
syn region dropBlockComment start=+/\*+ end=+\*/+ contains=dropTodo,@Spell
syn match dropLineComment +//.*$+ contains=dropTodo,@Spell
syn cluster dropComments contains=dropBlockComment,dropLineComment

" -- Strings ------------------------------------------------------------------
syn match dropBadEscape contained /\\./
syn match dropEscape contained /\\\%(["\\nt]\|u{\x\{1,6}}\)/
syn match dropPlaceholder contained /{\h[A-Za-z0-9_-]*}/
syn cluster dropStringContent contains=dropBadEscape,dropEscape,dropPlaceholder
syn region dropString start=/"/ skip=/\\\\\|\\"/ end=/"\|$/ oneline contains=@dropStringContent

" -- Numbers and colours ------------------------------------------------------
let s:num = '-\=\%(\d\+\%(\.\d\+\)\=\|\.\d\+\)'
let s:numbefore = '\%([A-Za-z0-9_.]\|[^\x01-\x7f]\)\@1<!'
exe 'syn match dropNumber /' . s:numbefore . s:num . '\%([A-Za-z_]\|[^\x01-\x7f]\)\@!/'
exe 'syn match dropPercent /' . s:numbefore . s:num . '%/'
exe 'syn match dropDimension /' . s:numbefore . '\d\+\s*x\s*\d\+/ contains=dropDimX'
syn match dropDimX contained /x/
syn match dropBadColour /#[A-Za-z0-9_]*/
syn match dropColour /#\x\{6}\%(\x\{2}\)\=[A-Za-z0-9_]\@!/
syn cluster dropLiterals contains=dropNumber,dropPercent,dropDimension,dropString,dropColour,dropBadColour

" -- Operators and punctuation ------------------------------------------------
syn match dropDelimiter /[,:()]/
" `->` (require, palette), `|` (alternatives), count comparisons.
syn match dropOperator /->\||\|<=\|>=\|=\|<\|>/

" -- Group references ---------------------------------------------------------
" A bare name at the top level, outside every declaration, is a group named in
" a rule or in another group (`forbid Metal with Eyes.Laser`, `count Metal <= 100`,
" `group Shiny = Metal, Body.Gold`). Defined before the keywords and
" references, which win where they match.
exe 'syn match dropGroupRef /' . s:before . s:id . s:after . '\%(\_s*\.\)\@!/'

" -- Top-level keywords -------------------------------------------------------
exe 'syn match dropStatement /' . s:Word('forbid\|require\|count') . '/'
exe 'syn match dropTraitKind /' . s:Word('hidden\|metadata') . '/'
exe 'syn match dropKeyword /' . s:Word('with\|at\|hue\|opacity\|offset\|folder') . '/'
exe 'syn match dropBlendKw /' . s:Word('blend') . '/ skipwhite skipnl skipempty nextgroup=dropBlendMode'
exe 'syn match dropBlendMode contained /' . s:id . '/'
exe 'syn match dropProfilesKw /' . s:Word('profiles') . '/ skipwhite skipnl skipempty nextgroup=dropProfilesPolicy'
exe 'syn match dropProfilesPolicy contained /' . s:id . '/'

" -- collection "Name" { key value, ... } -------------------------------------
exe 'syn match dropCollectionKw /' . s:Word('collection')
      \ . '/ skipwhite skipnl skipempty nextgroup=dropCollectionName,dropCollectionNameQ'
exe 'syn match dropCollectionName contained /' . s:id . '/ skipwhite skipnl skipempty nextgroup=dropCollectionBody'
exe 'syn match dropCollectionNameQ contained /' . s:q
      \ . '/ contains=@dropStringContent skipwhite skipnl skipempty nextgroup=dropCollectionBody'
syn region dropCollectionBody contained matchgroup=dropBrace start=/{/ end=/}/
      \ contains=@dropComments,dropSettingKey,@dropLiterals,dropDelimiter
" A key, then values separated by `,` (and paired with `:`): the chain makes
" the word after a key a value (`resize nearest`) and the next word a key.
exe 'syn match dropSettingKey contained /' . s:before . s:id . '/ skipwhite skipnl skipempty nextgroup=@dropSettingValue'
let s:sv = ' contained skipwhite skipnl skipempty nextgroup=dropSettingSep'
exe 'syn match dropSettingWord /' . s:before . s:id . '/' . s:sv
exe 'syn match dropSettingNumber /' . s:num . '/' . s:sv
exe 'syn match dropSettingPercent /' . s:num . '%/' . s:sv
exe 'syn match dropSettingDimension /\d\+\s*x\s*\d\+/ contains=dropDimX' . s:sv
exe 'syn match dropSettingBadColour /#[A-Za-z0-9_]*/' . s:sv
exe 'syn match dropSettingColour /#\x\{6}\%(\x\{2}\)\=[A-Za-z0-9_]\@!/' . s:sv
exe 'syn region dropSettingString start=/"/ skip=/\\\\\|\\"/ end=/"\|$/ oneline contains=@dropStringContent' . s:sv
syn match dropSettingSep contained /[,:]/ skipwhite skipnl skipempty nextgroup=@dropSettingValue
syn cluster dropSettingValue contains=dropSettingWord,dropSettingNumber,dropSettingPercent,dropSettingDimension,dropSettingBadColour,dropSettingColour,dropSettingString

" -- [hidden|metadata] trait Name < variants > options -------------------------
exe 'syn match dropTraitKw /' . s:Word('trait') . '/ skipwhite skipnl skipempty nextgroup=dropTraitName,dropTraitNameQ'
exe 'syn match dropTraitName contained /' . s:id . '/ skipwhite skipnl skipempty nextgroup=dropVariants'
exe 'syn match dropTraitNameQ contained /' . s:q . '/ contains=@dropStringContent skipwhite skipnl skipempty nextgroup=dropVariants'
syn region dropVariants contained matchgroup=dropVariantsDelim start=/</ end=/>/
      \ contains=@dropComments,@dropLiterals,dropDelimiter,dropArt,dropFromKw,dropKeyword,dropPaletteKw,
      \dropPlacementKw,dropBlendKw,dropProfilesKw,dropVariantName,dropVariantNameQ,dropVariantNone

" `[ "front.png", "back.png" below Body ]`
syn region dropArt contained matchgroup=dropBrace start=/\[/ end=/\]/
      \ contains=@dropComments,dropString,dropPlacementKw,dropDelimiter
" `below Trait` / `above Trait`
exe 'syn match dropPlacementKw contained /' . s:Word('below\|above')
      \ . '/ skipwhite skipnl skipempty nextgroup=dropPlacementTrait,dropPlacementTraitQ'
exe 'syn match dropPlacementTrait contained /' . s:id . '/'
exe 'syn match dropPlacementTraitQ contained /' . s:q . '/ contains=@dropStringContent'
" `from Variant hue N` / `from Variant palette { #a -> #b, ... }`
exe 'syn match dropFromKw contained /' . s:Word('from')
      \ . '/ skipwhite skipnl skipempty nextgroup=dropFromVariant,dropFromVariantQ,dropFromNone'
exe 'syn match dropFromVariant contained /' . s:id . '/'
exe 'syn match dropFromVariantQ contained /' . s:q . '/ contains=@dropStringContent'
exe 'syn match dropFromNone contained /none' . s:after . '/'
exe 'syn match dropPaletteKw contained /' . s:Word('palette') . '/ skipwhite skipnl skipempty nextgroup=dropPalette'
syn region dropPalette contained matchgroup=dropBrace start=/{/ end=/}/
      \ contains=@dropComments,dropColour,dropBadColour,dropOperator,dropDelimiter
" A variant's name is the name before `:` (defined after the keywords, so that
" `from: 1` names a variant).
exe 'syn match dropVariantName contained /' . s:before . s:id . '\ze\s*:/'
exe 'syn match dropVariantNameQ contained /' . s:q . '\ze\s*:/ contains=@dropStringContent'
exe 'syn match dropVariantNone contained /' . s:before . 'none' . s:after . '\ze\s*:/'

" -- Rules --------------------------------------------------------------------
" when A.x | A.y { Trait < Variant: weight, ... > ... }
exe 'syn region dropWhen matchgroup=dropStatement start=/' . s:Word('when') . '/'
      \ . ' matchgroup=dropBrace end=/}\|' . s:before . '\ze' . s:statements . s:after . '\%(\s*[.<]\)\@!/'
      \ . ' contains=@dropComments,dropRef,dropOperator,dropDelimiter,dropWhenBrace,dropOverrideTrait,dropOverrideTraitQ,'
      \ . 'dropArtKw,dropKeyword,dropFromKw,dropPaletteKw,dropPlacementKw,dropBlendKw,dropProfilesKw,@dropLiterals,dropArt'
syn match dropWhenBrace contained /{/
" A trait's name before its weights (`Eyes < ... >`), or after `art` (`art Hair hue 120`);
" never one of the words conditional art uses.
let s:artwords = '\%(art\|hue\|palette\|from\|opacity\|offset\|blend\|profiles\|below\|above\)' . s:after
exe 'syn match dropOverrideTrait contained /' . s:before . '\%(' . s:artwords . '\)\@!' . s:id
      \ . '/ skipwhite skipnl skipempty nextgroup=dropVariants'
" `art Trait.Variant <art> [options]` / `art Trait hue N` inside `when`.
exe 'syn match dropArtKw contained /' . s:Word('art') . '/'
" A quoted trait name only before `<`: other strings in a `when` are art paths.
exe 'syn match dropOverrideTraitQ contained /' . s:q . '\%(\_s*<\)\@=/ contains=@dropStringContent skipwhite skipnl skipempty nextgroup=dropVariants'

" group Name = Trait.Variant, ..., OtherGroup
exe 'syn match dropGroupKw /' . s:Word('group') . '/ skipwhite skipnl skipempty nextgroup=dropGroupName,dropGroupNameQ'
exe 'syn match dropGroupName contained /' . s:id . '/'
exe 'syn match dropGroupNameQ contained /' . s:q . '/ contains=@dropStringContent'

" unique / unique [visually] by Trait, ...
exe 'syn match dropUniqueKw /' . s:Word('unique') . '/ skipwhite skipnl skipempty nextgroup=dropVisuallyKw,dropByKw'
exe 'syn match dropVisuallyKw contained /' . s:Word('visually') . '/ skipwhite skipnl skipempty nextgroup=dropByKw'
exe 'syn match dropByKw contained /' . s:Word('by') . '/ skipwhite skipnl skipempty nextgroup=dropUniqueTrait,dropUniqueTraitQ'
exe 'syn match dropUniqueTrait contained /' . s:id . '/ skipwhite skipnl skipempty nextgroup=dropUniqueComma'
exe 'syn match dropUniqueTraitQ contained /' . s:q . '/ contains=@dropStringContent skipwhite skipnl skipempty nextgroup=dropUniqueComma'
syn match dropUniqueComma contained /,/ skipwhite skipnl skipempty nextgroup=dropUniqueTrait,dropUniqueTraitQ

" -- legendary "Name" [at ID] "image.png" { Trait: Value, ... } ----------------
exe 'syn match dropLegendaryKw /' . s:Word('legendary')
      \ . '/ skipwhite skipnl skipempty nextgroup=dropLegendaryName,dropLegendaryNameQ'
exe 'syn match dropLegendaryName contained /' . s:id . '/'
exe 'syn match dropLegendaryNameQ contained /' . s:q . '/ contains=@dropStringContent'
" The only braces left at the top level are a legendary's attributes.
syn region dropAttributes matchgroup=dropBrace start=/{/ end=/}/
      \ contains=@dropComments,dropNumber,dropDelimiter,dropAttrValue,dropAttrValueQ,dropAttrNone,dropAttrTrait,dropAttrTraitQ
exe 'syn match dropAttrValue contained /' . s:before . s:id . '/'
exe 'syn match dropAttrValueQ contained /' . s:q . '/ contains=@dropStringContent'
exe 'syn match dropAttrNone contained /' . s:before . 'none' . s:after . '/'
exe 'syn match dropAttrTrait contained /' . s:before . s:id . '\ze\s*:/'
exe 'syn match dropAttrTraitQ contained /' . s:q . '\ze\s*:/ contains=@dropStringContent'

" -- Variant references: Trait.Variant (either half may be quoted) ------------
" Defined last: `count.x` and `with.y` are references, not keywords.
exe 'syn match dropRef /' . s:before . '\%(' . s:id . '\|' . s:q . '\)\.\%(' . s:id . '\|' . s:q . '\)/'
      \ . ' contains=dropRefTrait,dropRefTraitQ,dropRefDot,dropRefVariant,dropRefVariantQ,dropRefNone'
exe 'syn match dropRefTrait contained /' . s:id . '\ze\./'
exe 'syn match dropRefTraitQ contained /' . s:q . '\ze\./ contains=@dropStringContent'
syn match dropRefDot contained /\./
exe 'syn match dropRefVariant contained /\.\@1<=' . s:id . '/'
exe 'syn match dropRefVariantQ contained /\.\@1<=' . s:q . '/ contains=@dropStringContent'
exe 'syn match dropRefNone contained /\.\@1<=none' . s:after . '/'

" -- Highlighting -------------------------------------------------------------
hi def link dropLineComment      Comment
hi def link dropBlockComment     Comment
hi def link dropTodo             Todo

hi def link dropStatement        Statement
hi def link dropCollectionKw     dropStatement
hi def link dropUniqueKw         dropStatement
hi def link dropLegendaryKw      dropStatement
hi def link dropGroupKw          dropStatement
hi def link dropArtKw            dropStatement
hi def link dropTraitKw          Structure
hi def link dropTraitKind        StorageClass
hi def link dropKeyword          Keyword
hi def link dropBlendKw          dropKeyword
hi def link dropProfilesKw       dropKeyword
hi def link dropPlacementKw      dropKeyword
hi def link dropFromKw           dropKeyword
hi def link dropPaletteKw        dropKeyword
hi def link dropByKw             dropKeyword
hi def link dropVisuallyKw       dropKeyword

hi def link dropSettingKey       Identifier
hi def link dropCollectionName   Title
hi def link dropCollectionNameQ  dropCollectionName
hi def link dropLegendaryName    Title
hi def link dropLegendaryNameQ   dropLegendaryName
hi def link dropGroupName        Identifier
hi def link dropGroupNameQ       dropGroupName
hi def link dropGroupRef         dropGroupName

" Trait names: declarations and references.
hi def link dropTraitName        Type
hi def link dropTraitNameQ       dropTraitName
hi def link dropRefTrait         dropTraitName
hi def link dropRefTraitQ        dropTraitName
hi def link dropPlacementTrait   dropTraitName
hi def link dropPlacementTraitQ  dropTraitName
hi def link dropOverrideTrait    dropTraitName
hi def link dropOverrideTraitQ   dropTraitName
hi def link dropUniqueTrait      dropTraitName
hi def link dropUniqueTraitQ     dropTraitName
hi def link dropAttrTrait        dropTraitName
hi def link dropAttrTraitQ       dropTraitName

" Variant names: declarations and references.
hi def link dropVariantName      Function
hi def link dropVariantNameQ     dropVariantName
hi def link dropRefVariant       dropVariantName
hi def link dropRefVariantQ      dropVariantName
hi def link dropFromVariant      dropVariantName
hi def link dropFromVariantQ     dropVariantName
hi def link dropAttrValue        dropVariantName
hi def link dropAttrValueQ       dropVariantName

hi def link dropNone             Constant
hi def link dropVariantNone      dropNone
hi def link dropRefNone          dropNone
hi def link dropFromNone         dropNone
hi def link dropAttrNone         dropNone

" Mode words: blend modes, resize filters, compression, metadata flavours.
hi def link dropBlendMode        Constant
hi def link dropProfilesPolicy   Constant
hi def link dropSettingWord      Constant

hi def link dropNumber           Number
hi def link dropPercent          Number
hi def link dropDimension        Number
hi def link dropDimX             Operator
hi def link dropColour           Constant
hi def link dropBadColour        Error
hi def link dropSettingNumber    dropNumber
hi def link dropSettingPercent   dropPercent
hi def link dropSettingDimension dropDimension
hi def link dropSettingColour    dropColour
hi def link dropSettingBadColour dropBadColour
hi def link dropSettingString    dropString

hi def link dropString           String
hi def link dropEscape           SpecialChar
hi def link dropBadEscape        Error
hi def link dropPlaceholder      Special

hi def link dropOperator         Operator
hi def link dropDelimiter        Delimiter
hi def link dropSettingSep       dropDelimiter
hi def link dropUniqueComma      dropDelimiter
hi def link dropRefDot           dropDelimiter
hi def link dropBrace            Delimiter
hi def link dropWhenBrace        dropBrace
hi def link dropVariantsDelim    Delimiter

let b:current_syntax = 'drop'

let &cpo = s:cpo_save
unlet s:cpo_save
