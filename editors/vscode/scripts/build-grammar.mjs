#!/usr/bin/env node
// Builds syntaxes/drop.tmLanguage.json, the TextMate grammar for `.drop` files.
//
// The grammar is written here rather than as raw JSON so that the regular
// expressions for identifiers, names and keywords are defined once. The
// generated JSON is committed (VS Code loads it as is); after editing this
// file run `npm run build-grammar`. `npm test` runs this script with `--check`
// first, which fails when the committed JSON is out of date.
//
// The source of truth for the syntax is grammar/drop.pest at the repository
// root; the comments below name the pest rules each part follows.
//
// Usage: node scripts/build-grammar.mjs [--check]

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const output = join(here, '..', 'syntaxes', 'drop.tmLanguage.json');

// ---------------------------------------------------------------------------
// Regular expression fragments (Oniguruma syntax, as used by vscode-textmate).

/** pest `ident_start`: XID_START | "_". */
const IDENT_START = String.raw`[\p{L}\p{Nl}_]`;
/** The characters of pest's XID_CONTINUE (approximately). */
const WORD_CHAR = String.raw`[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]`;
/** pest `ident_char`: XID_CONTINUE | "-" not followed by ">". */
const IDENT_CHAR = String.raw`(?:${WORD_CHAR}|-(?!>))`;
/** pest `ident`. */
const IDENT = `${IDENT_START}${IDENT_CHAR}*`;
/** Not in the middle of a word. */
const WORD_BEFORE = String.raw`(?<![\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}-])`;
/** Not followed by more of a word (pest's `!ident_char` after keywords). */
const WORD_AFTER = `(?!${IDENT_CHAR})`;
/** A quoted string on one line (pest `string`), as one token. */
const QUOTED = String.raw`"(?:[^"\\]|\\.)*"`;

/** A whole word. */
const word = (w) => `${WORD_BEFORE}(?:${w})${WORD_AFTER}`;

/** Keywords that start a statement. */
const STATEMENT_KEYWORDS = [
  'collection', 'trait', 'hidden', 'metadata', 'forbid', 'require', 'when',
  'count', 'unique', 'legendary', 'group',
];
/**
 * Lookahead for the start of the next statement: ends a statement whose end
 * the syntax does not mark (rules, trait options). A keyword directly followed
 * by `.` is the trait half of a variant reference (`count.x`), not a keyword.
 */
const NEXT_STATEMENT = `(?=${word(STATEMENT_KEYWORDS.join('|'))}(?!\\.))`;

/** Just after a token (not whitespace, not at the start of a line, not the region's start). */
const AFTER_TOKEN = String.raw`(?!\G)(?<=\S)`;

// ---------------------------------------------------------------------------
// Scope names.

const S = {
  lineComment: 'comment.line.double-slash.drop',
  blockComment: 'comment.block.drop',
  commentPunct: 'punctuation.definition.comment.drop',
  statement: 'keyword.control.drop',
  traitKeyword: 'storage.type.trait.drop',
  traitKind: 'storage.modifier.drop',
  otherKeyword: 'keyword.other.drop',
  settingKey: 'variable.other.property.drop',
  collectionName: 'entity.name.section.collection.drop',
  legendaryName: 'entity.name.section.legendary.drop',
  trait: 'entity.name.type.trait.drop',
  variant: 'entity.name.tag.variant.drop',
  group: 'variable.other.constant.group.drop',
  none: 'constant.language.none.drop',
  constantWord: 'support.constant.drop',
  number: 'constant.numeric.drop',
  percentage: 'constant.numeric.percentage.drop',
  dimension: 'constant.numeric.dimension.drop',
  dimensionX: 'keyword.operator.dimension.drop',
  colour: 'constant.other.color.rgb-value.drop',
  invalidColour: 'invalid.illegal.color.drop',
  string: 'string.quoted.double.drop',
  stringBegin: 'punctuation.definition.string.begin.drop',
  stringEnd: 'punctuation.definition.string.end.drop',
  escape: 'constant.character.escape.drop',
  invalidEscape: 'invalid.illegal.unknown-escape.drop',
  placeholder: 'variable.other.placeholder.drop',
  arrow: 'keyword.operator.arrow.drop',
  or: 'keyword.operator.logical.or.drop',
  comparison: 'keyword.operator.comparison.drop',
  accessor: 'punctuation.accessor.drop',
  colon: 'punctuation.separator.key-value.drop',
  comma: 'punctuation.separator.comma.drop',
  blockBegin: 'punctuation.section.block.begin.drop',
  blockEnd: 'punctuation.section.block.end.drop',
  variantsBegin: 'punctuation.section.variants.begin.drop',
  variantsEnd: 'punctuation.section.variants.end.drop',
  bracketsBegin: 'punctuation.section.brackets.begin.drop',
  bracketsEnd: 'punctuation.section.brackets.end.drop',
  parensBegin: 'punctuation.section.parens.begin.drop',
  parensEnd: 'punctuation.section.parens.end.drop',
};

// ---------------------------------------------------------------------------
// Helpers for names: pest `name = ident | string`.

/**
 * A regex matching a name (a word or a quoted string) with four capture
 * groups: the word, the whole quoted string, its opening quote, its text and
 * its closing quote. Returns the source and a function building the captures
 * object for a given first group number and role scope.
 */
function nameRegex({ allowNone = false } = {}) {
  const none = allowNone ? `(none${WORD_AFTER})|` : '';
  const source = `(?:${none}(${IDENT})|((")((?:[^"\\\\]|\\\\.)*)(")))`;
  const groups = allowNone ? 6 : 5;
  const captures = (first, role) => {
    const c = {};
    let g = first;
    if (allowNone) c[g++] = { name: S.none };
    c[g++] = { name: role };
    c[g++] = { name: `${S.string} ${role}` };
    c[g++] = { name: S.stringBegin };
    // vscode-textmate drops the scopes of enclosing captures when it
    // re-tokenizes a capture, so the text repeats the string's scopes.
    c[g++] = { name: `${S.string} ${role}`, patterns: [{ include: '#string-content' }] };
    c[g++] = { name: S.stringEnd };
    return c;
  };
  return { source, groups, captures };
}

/** A match rule for a name in the given role, optionally only before `lookahead`. */
function namePattern(role, lookahead = '', { allowNone = false } = {}) {
  const n = nameRegex({ allowNone });
  return {
    match: `${WORD_BEFORE}${n.source}${lookahead}`,
    captures: n.captures(1, role),
  };
}

/** A match rule for `keyword name` (e.g. `below Body`, `from Long`). */
function keywordThenName(keyword, role, opts = {}) {
  const n = nameRegex(opts);
  return {
    match: `(${word(keyword)})(?:\\s*${n.source})?`,
    captures: { 1: { name: S.otherKeyword }, ...n.captures(2, role) },
  };
}

// ---------------------------------------------------------------------------
// The grammar.

const repository = {
  // -- Comments and whitespace (pest COMMENT) --------------------------------
  comments: {
    patterns: [
      {
        name: S.blockComment,
        begin: String.raw`/\*`,
        beginCaptures: { 0: { name: S.commentPunct } },
        end: String.raw`\*/`,
        endCaptures: { 0: { name: S.commentPunct } },
      },
      {
        name: S.lineComment,
        match: '(//).*',
        captures: { 1: { name: S.commentPunct } },
      },
    ],
  },

  // -- Literals (pest value, string, number, percentage, dimension, colour) --
  string: {
    name: S.string,
    begin: '"',
    beginCaptures: { 0: { name: S.stringBegin } },
    // Strings end at the end of the line: an unterminated string must not
    // swallow the rest of the file while it is being typed.
    end: '(")|$',
    endCaptures: { 1: { name: S.stringEnd } },
    patterns: [{ include: '#string-content' }],
  },
  'string-content': {
    patterns: [
      {
        name: S.escape,
        match: String.raw`\\(?:["\\nt]|u\{[0-9a-fA-F]{1,6}\})`,
      },
      { name: S.invalidEscape, match: String.raw`\\.?` },
      {
        // `{id}` in name and image templates.
        name: S.placeholder,
        match: String.raw`\{[\p{L}_][\p{L}\p{Nd}_-]*\}`,
      },
    ],
  },
  dimension: {
    // `1024 x 1024` (pest dimension: integer, whitespace, "x", whitespace, integer).
    name: S.dimension,
    match: String.raw`(?<![\p{L}\p{Nd}_.])\d+\s*(x)\s*\d+`,
    captures: { 1: { name: S.dimensionX } },
  },
  percentage: {
    name: S.percentage,
    match: String.raw`(?<![\p{L}\p{Nd}_.-])-?(?:\d+(?:\.\d+)?|\.\d+)%`,
  },
  number: {
    name: S.number,
    match: String.raw`(?<![\p{L}\p{Nd}_.-])-?(?:\d+(?:\.\d+)?|\.\d+)(?![\p{L}\p{Nl}_])`,
  },
  colour: {
    patterns: [
      {
        name: S.colour,
        match: String.raw`#[0-9a-fA-F]{6}(?:[0-9a-fA-F]{2})?(?![0-9a-fA-F\p{L}\p{Nd}_])`,
      },
      { name: S.invalidColour, match: String.raw`#[\p{L}\p{Nd}_]*` },
    ],
  },
  numbers: {
    patterns: [
      { include: '#dimension' },
      { include: '#percentage' },
      { include: '#number' },
    ],
  },
  literals: {
    patterns: [
      { include: '#numbers' },
      { include: '#string' },
      { include: '#colour' },
    ],
  },
  punctuation: {
    patterns: [
      { name: S.comma, match: ',' },
      { name: S.colon, match: ':' },
      { name: S.parensBegin, match: String.raw`\(` },
      { name: S.parensEnd, match: String.raw`\)` },
    ],
  },

  // -- Variant references (pest variant_ref: name "." name, no spaces) -------
  'variant-reference': (() => {
    const t = nameRegex();
    const v = nameRegex({ allowNone: true });
    const dotGroup = 1 + t.groups;
    return {
      name: 'meta.variant-reference.drop',
      match: `${WORD_BEFORE}${t.source}(\\.)${v.source}`,
      captures: {
        ...t.captures(1, S.trait),
        [dotGroup]: { name: S.accessor },
        ...v.captures(dotGroup + 1, S.variant),
      },
    };
  })(),
  alternatives: {
    patterns: [
      { include: '#comments' },
      { include: '#variant-reference' },
      // A group's name where variants are expected (pest group_ref).
      { name: S.group, match: `${WORD_BEFORE}(?!${word('with')})${IDENT}(?!\\.)` },
      { name: S.or, match: String.raw`\|` },
      { name: S.comma, match: ',' },
    ],
  },

  // -- collection "Name" { key value, ... } -----------------------------------
  collection: (() => {
    const n = nameRegex();
    return {
      name: 'meta.collection.drop',
      begin: `(${word('collection')})(?:\\s*${n.source})?`,
      beginCaptures: { 1: { name: S.statement }, ...n.captures(2, S.collectionName) },
      end: String.raw`(?<=\})|${NEXT_STATEMENT}`,
      patterns: [
        { include: '#comments' },
        namePattern(S.collectionName),
        {
          name: 'meta.block.collection.drop',
          begin: String.raw`\{`,
          beginCaptures: { 0: { name: S.blockBegin } },
          end: String.raw`\}`,
          endCaptures: { 0: { name: S.blockEnd } },
          patterns: [
            { include: '#comments' },
            { include: '#setting' },
            // Values without a key (only in broken files).
            { include: '#setting-value' },
          ],
        },
      ],
    };
  })(),
  setting: {
    // pest setting: setting_key ~ setting_value ~ ("," ~ setting_value)*,
    // setting_value: value ~ (":" ~ value)?. Newlines are not significant, so
    // a setting ends after a value that is not followed by `,` or `:`.
    name: 'meta.setting.drop',
    begin: `${WORD_BEFORE}(${IDENT})`,
    beginCaptures: { 1: { name: S.settingKey } },
    end: String.raw`${AFTER_TOKEN}(?<![,:])(?!\s*[,:])|(?=\})`,
    patterns: [
      { include: '#comments' },
      { include: '#setting-value' },
    ],
  },
  'setting-value': {
    patterns: [
      { include: '#literals' },
      {
        // Words: `resize nearest`, `compression balanced`, `metadata metaplex`.
        name: S.constantWord,
        match: `${WORD_BEFORE}${IDENT}`,
      },
      { include: '#punctuation' },
    ],
  },

  // -- [hidden|metadata] trait Name < variants > options ----------------------
  'trait-kind': {
    name: S.traitKind,
    match: word('hidden|metadata'),
  },
  trait: (() => {
    const n = nameRegex();
    return {
      name: 'meta.trait.drop',
      begin: `(${word('trait')})(?:\\s*${n.source})?`,
      beginCaptures: { 1: { name: S.traitKeyword }, ...n.captures(2, S.trait) },
      end: NEXT_STATEMENT,
      patterns: [
        { include: '#comments' },
        // The name when it is not on the line of `trait`.
        namePattern(S.trait, String.raw`(?=\s*<)`),
        { include: '#variants' },
        { include: '#trait-options' },
        // A word name on a line of its own (`trait\n  Hair\n  < ... >`).
        { name: S.trait, match: `${WORD_BEFORE}${IDENT}` },
        { include: '#literals' },
        { include: '#punctuation' },
      ],
    };
  })(),
  variants: {
    // `< Name: weight [art] [options], ... >` (pest variant, override_weight).
    name: 'meta.variants.drop',
    begin: '<',
    beginCaptures: { 0: { name: S.variantsBegin } },
    end: '>',
    endCaptures: { 0: { name: S.variantsEnd } },
    patterns: [
      { include: '#comments' },
      // A variant's name is the name before `:`.
      namePattern(S.variant, String.raw`(?=\s*:)`, { allowNone: true }),
      { include: '#derived' },
      { include: '#placement' },
      { include: '#art-list' },
      { include: '#trait-options' },
      { include: '#literals' },
      { include: '#punctuation' },
    ],
  },
  'art-list': {
    // `["front.png", "back.png" below Body]` (pest art, art_part).
    name: 'meta.art.drop',
    begin: String.raw`\[`,
    beginCaptures: { 0: { name: S.bracketsBegin } },
    end: String.raw`\]`,
    endCaptures: { 0: { name: S.bracketsEnd } },
    patterns: [
      { include: '#comments' },
      { include: '#placement' },
      { include: '#string' },
      { name: S.comma, match: ',' },
    ],
  },
  placement: keywordThenName('below|above', S.trait),
  derived: {
    // `from Variant hue 120` / `from Variant palette { #a -> #b, ... }`.
    patterns: [
      keywordThenName('from', S.variant, { allowNone: true }),
      { name: S.otherKeyword, match: word('hue') },
      {
        name: 'meta.palette.drop',
        begin: `(${word('palette')})\\s*(\\{)?`,
        beginCaptures: { 1: { name: S.otherKeyword }, 2: { name: S.blockBegin } },
        end: String.raw`\}`,
        endCaptures: { 0: { name: S.blockEnd } },
        patterns: [
          { include: '#comments' },
          { name: S.blockBegin, match: String.raw`\{` },
          { include: '#colour' },
          { name: S.arrow, match: '->' },
          { name: S.comma, match: ',' },
        ],
      },
    ],
  },
  'trait-options': {
    // pest trait_option / variant_option: blend, opacity, offset, folder, profiles.
    patterns: [
      {
        match: `(${word('blend|profiles')})(?:\\s+(${IDENT}))?`,
        captures: { 1: { name: S.otherKeyword }, 2: { name: S.constantWord } },
      },
      { name: S.otherKeyword, match: word('opacity|offset|folder') },
    ],
  },

  // -- Rules ------------------------------------------------------------------
  forbid: {
    name: 'meta.rule.forbid.drop',
    begin: word('forbid'),
    beginCaptures: { 0: { name: S.statement } },
    end: NEXT_STATEMENT,
    patterns: [
      { include: '#alternatives' },
      { name: S.otherKeyword, match: word('with') },
    ],
  },
  require: {
    name: 'meta.rule.require.drop',
    begin: word('require'),
    beginCaptures: { 0: { name: S.statement } },
    end: NEXT_STATEMENT,
    patterns: [
      { include: '#alternatives' },
      { name: S.arrow, match: '->' },
    ],
  },
  when: {
    name: 'meta.rule.when.drop',
    begin: word('when'),
    beginCaptures: { 0: { name: S.statement } },
    end: String.raw`(?<=\})|${NEXT_STATEMENT}`,
    patterns: [
      { include: '#alternatives' },
      {
        // `{ Trait < Variant: weight, ... > ... }` (pest override_decl).
        name: 'meta.block.when.drop',
        begin: String.raw`\{`,
        beginCaptures: { 0: { name: S.blockBegin } },
        end: String.raw`\}`,
        endCaptures: { 0: { name: S.blockEnd } },
        patterns: [
          { include: '#comments' },
          { include: '#when-art' },
          { include: '#variants' },
          namePattern(S.trait),
        ],
      },
    ],
  },
  'when-art': {
    // `art Trait.Variant <art or derivation> [options]` / `art Trait hue N` /
    // `art Trait palette {...}` inside `when` (pest when_art). It ends before
    // the block's `}`, the next `art` or the next trait's weights (`Trait <`).
    name: 'meta.art.when.drop',
    begin: word('art'),
    beginCaptures: { 0: { name: S.statement } },
    end: `(?=\\}|${word('art')}|(?:${IDENT}|${QUOTED})\\s*<)`,
    patterns: [
      { include: '#comments' },
      { include: '#variant-reference' },
      { include: '#derived' },
      { include: '#placement' },
      { include: '#art-list' },
      { include: '#trait-options' },
      { include: '#string' },
      { include: '#numbers' },
      // `art Trait hue N`: the trait's name.
      namePattern(S.trait),
      { include: '#punctuation' },
    ],
  },
  group: (() => {
    // `group Name = Trait.Variant, ..., Other` (pest group_decl).
    const n = nameRegex();
    return {
      name: 'meta.group.drop',
      begin: `(${word('group')})(?:\\s*${n.source})?`,
      beginCaptures: { 1: { name: S.statement }, ...n.captures(2, S.group) },
      end: NEXT_STATEMENT,
      patterns: [
        { include: '#comments' },
        { name: 'keyword.operator.assignment.drop', match: '=' },
        { include: '#alternatives' },
      ],
    };
  })(),
  count: {
    // `count Trait.Variant OP N` / `count Group OP N` (pest count_rule, comparison).
    name: 'meta.rule.count.drop',
    begin: word('count'),
    beginCaptures: { 0: { name: S.statement } },
    end: NEXT_STATEMENT,
    patterns: [
      { include: '#comments' },
      { include: '#variant-reference' },
      { name: S.comparison, match: '<=|>=|=|<|>' },
      { name: S.group, match: `${WORD_BEFORE}${IDENT}(?!\\.)` },
      { include: '#numbers' },
    ],
  },
  unique: {
    // `unique` / `unique [visually] by Trait, ...` (pest unique_rule).
    name: 'meta.rule.unique.drop',
    begin: word('unique'),
    beginCaptures: { 0: { name: S.statement } },
    end: NEXT_STATEMENT,
    patterns: [
      { include: '#comments' },
      // `visually` comes before `by`: after it (in the `by` list) it is a trait name.
      { name: S.otherKeyword, match: word('visually') },
      {
        begin: word('by'),
        beginCaptures: { 0: { name: S.otherKeyword } },
        end: NEXT_STATEMENT,
        patterns: [
          { include: '#comments' },
          namePattern(S.trait),
          { name: S.comma, match: ',' },
        ],
      },
    ],
  },

  // -- legendary "Name" [at ID] "image.png" { Trait: Value, ... } --------------
  legendary: (() => {
    const n = nameRegex();
    return {
      name: 'meta.legendary.drop',
      begin: `(${word('legendary')})(?:\\s*${n.source})?`,
      beginCaptures: { 1: { name: S.statement }, ...n.captures(2, S.legendaryName) },
      end: String.raw`(?<=\})|${NEXT_STATEMENT}`,
      patterns: [
        { include: '#comments' },
        { name: S.otherKeyword, match: word('at') },
        { include: '#number' },
        { include: '#string' },
        {
          // pest attribute: name ":" (number | name).
          name: 'meta.block.attributes.drop',
          begin: String.raw`\{`,
          beginCaptures: { 0: { name: S.blockBegin } },
          end: String.raw`\}`,
          endCaptures: { 0: { name: S.blockEnd } },
          patterns: [
            { include: '#comments' },
            namePattern(S.trait, String.raw`(?=\s*:)`),
            { include: '#number' },
            namePattern(S.variant, '', { allowNone: true }),
            { include: '#punctuation' },
          ],
        },
      ],
    };
  })(),
};

const grammar = {
  $schema: 'https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json',
  name: 'Drop',
  scopeName: 'source.drop',
  fileTypes: ['drop'],
  comment:
    'GENERATED by scripts/build-grammar.mjs from its source; do not edit by hand. ' +
    'Follows grammar/drop.pest.',
  patterns: [
    { include: '#comments' },
    { include: '#collection' },
    { include: '#trait-kind' },
    { include: '#trait' },
    { include: '#forbid' },
    { include: '#require' },
    { include: '#when' },
    { include: '#count' },
    { include: '#unique' },
    { include: '#legendary' },
    { include: '#group' },
    // Anything else (only in broken or half-typed files).
    { include: '#literals' },
  ],
  repository,
};

const json = JSON.stringify(grammar, null, 2) + '\n';
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(output, 'utf8');
  } catch {
    // Missing: reported below.
  }
  if (current !== json) {
    console.error(
      'syntaxes/drop.tmLanguage.json is out of date: run `npm run build-grammar` in editors/vscode.',
    );
    process.exit(1);
  }
} else {
  writeFileSync(output, json);
  console.log(`wrote ${output}`);
}
