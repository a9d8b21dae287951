/**
 * @file Tree-sitter grammar for the `.drop` language (generative art collections).
 * @license MIT OR Apache-2.0
 *
 * It follows `grammar/drop.pest` (the source of truth) rule by rule, with the
 * same node names where a node is kept. Like the pest grammar it accepts a
 * little more than the language: weights, setting values and mode names are
 * general values, validated by `dropc check`.
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

// A word: letters, digits, `_` and `-`, not starting with a digit; a `-`
// never starts `->` (so `A.x->B.y` reads as `A.x -> B.y`).
const IDENT = /[\p{XID_Start}_][\p{XID_Continue}]*(-+[\p{XID_Continue}]+)*/;
const DECIMAL = /-?(\d+(\.\d+)?|\.\d+)/;
// Whitespace or comments, allowed inside a dimension `1024 x 1024`.
const GAP = String.raw`(\s|\/\/[^\n]*\n|\/\*[^*]*\*+([^/*][^*]*\*+)*\/)*`;

const commaSep1 = (rule) => seq(rule, repeat(seq(',', rule)));

module.exports = grammar({
  name: 'drop',

  extras: ($) => [/\s/, '\uFEFF', $.comment],

  word: ($) => $.identifier,

  rules: {
    // A whole `.drop` file.
    source_file: ($) => repeat($._statement),

    _statement: ($) =>
      choice(
        $.forbid_rule,
        $.require_rule,
        $.trait_decl,
        $.count_rule,
        $.when_rule,
        $.unique_rule,
        $.legendary,
        $.group_decl,
        $.collection,
      ),

    // ---------------------------------------------------------------------
    // Collection settings

    collection: ($) => seq('collection', field('name', $._name), '{', repeat($.setting), '}'),

    setting: ($) => seq(field('key', alias($.identifier, $.setting_key)), commaSep1($.setting_value)),

    setting_value: ($) => seq($._value, optional(seq(':', $._value))),

    _value: ($) => choice($.dimension, $.percentage, $.number, $.string, $.colour, $.identifier),

    dimension: (_) => token(new RegExp(String.raw`\d+` + GAP + 'x' + GAP + String.raw`\d+`)),

    // ---------------------------------------------------------------------
    // Traits and variants

    trait_decl: ($) =>
      seq(
        optional(field('kind', $.trait_kind)),
        'trait',
        field('name', $._name),
        '<',
        commaSep1($.variant),
        optional(','),
        '>',
        repeat(choice($.blend, $.opacity, $.offset, $.folder, $.profiles)),
      ),

    trait_kind: (_) => choice('hidden', 'metadata'),

    folder: ($) => seq('folder', $.string),

    variant: ($) =>
      seq(
        field('name', $._name),
        ':',
        field('weight', $.weight),
        optional(field('source', choice($.derived, $.art))),
        repeat(choice($.blend, $.opacity, $.offset, $.profiles)),
      ),

    weight: ($) => $._value,

    art: ($) => choice(seq('[', commaSep1($.art_part), optional(','), ']'), $.art_part),

    art_part: ($) => choice(seq(field('path', $.string), optional($.placement)), $.placement),

    placement: ($) => seq(choice('below', 'above'), field('trait', $._name)),

    derived: ($) => seq('from', field('source', $._name), choice($.hue_shift, $.palette)),

    hue_shift: ($) => seq('hue', $._value),

    palette: ($) => seq('palette', '{', commaSep1($.colour_pair), optional(','), '}'),

    colour_pair: ($) => seq($.colour, '->', $.colour),

    blend: ($) => seq('blend', field('mode', $.identifier)),

    opacity: ($) => seq('opacity', $._value),

    offset: ($) => seq('offset', '(', $.number, ',', $.number, ')'),

    // `profiles ignore` / `profiles check`: the art's declared colour spaces ignored or checked.
    profiles: ($) => seq('profiles', field('policy', $.identifier)),

    // ---------------------------------------------------------------------
    // Rules

    // Two lists: pairs; three or more (a `with` chain): combinations.
    forbid_rule: ($) => seq('forbid', $.ref_list, repeat1(seq('with', $.ref_list))),

    require_rule: ($) => seq('require', $.ref_list, '->', $.alternatives),

    when_rule: ($) => seq('when', $.alternatives, '{', repeat(choice($.when_art, $.override_decl)), '}'),

    // `art Trait.Variant <art or derivation> [options]` / `art Trait hue N | palette {...}`.
    // Greedy, as pest is: `art Hair.Long "x.png"` takes the string as its path.
    when_art: ($) =>
      prec.right(
        seq(
          'art',
          choice(
            seq(
              $.variant_ref,
              optional(field('source', choice($.derived, $.art))),
              repeat(choice($.blend, $.opacity, $.offset, $.profiles)),
            ),
            seq(field('trait', $._name), choice($.hue_shift, $.palette)),
          ),
        ),
      ),

    override_decl: ($) =>
      seq(field('trait', $._name), '<', commaSep1($.override_weight), optional(','), '>'),

    override_weight: ($) => seq(field('name', $._name), ':', field('weight', $.weight)),

    count_rule: ($) => seq('count', $._reference, $.comparison, $.count_value),

    comparison: (_) => token(choice('<=', '>=', '=', '<', '>')),

    count_value: ($) => $._value,

    unique_rule: ($) =>
      seq('unique', optional('visually'), optional(seq('by', commaSep1(field('trait', $._name))))),

    ref_list: ($) => commaSep1($._reference),

    alternatives: ($) => seq($._reference, repeat(seq('|', $._reference))),

    _reference: ($) => choice($.variant_ref, $.group_ref),

    // A group's name where variant references are expected.
    group_ref: ($) => field('name', $._name),

    // `group Name = A.x, B.y, Other`.
    group_decl: ($) => seq('group', field('name', $._name), '=', optional($.ref_list)),

    // `Trait.Variant`, with no space around the dot.
    variant_ref: ($) =>
      seq(
        field('trait', $._name),
        token.immediate('.'),
        field('variant', choice(alias($._immediate_identifier, $.identifier), alias($._immediate_string, $.string))),
      ),

    // ---------------------------------------------------------------------
    // Legendaries

    legendary: ($) =>
      seq(
        'legendary',
        field('name', $._name),
        optional(seq('at', field('id', $.number))),
        field('image', $.string),
        optional(seq('{', repeat(seq($.attribute, optional(','))), '}')),
      ),

    attribute: ($) => seq(field('trait', $._name), ':', field('value', choice($.number, $._name))),

    // ---------------------------------------------------------------------
    // Tokens

    _name: ($) => choice($.identifier, $.string),

    identifier: (_) => IDENT,

    _immediate_identifier: (_) => token.immediate(IDENT),

    string: ($) => seq('"', repeat(choice($.string_content, $.escape_sequence)), token.immediate('"')),

    _immediate_string: ($) =>
      seq(token.immediate('"'), repeat(choice($.string_content, $.escape_sequence)), token.immediate('"')),

    string_content: (_) => token.immediate(prec(1, /[^"\\\n]+/)),

    escape_sequence: (_) => token.immediate(/\\(["\\nt]|u\{[0-9a-fA-F]{1,6}\})/),

    number: (_) => DECIMAL,

    percentage: (_) => token(seq(DECIMAL, '%')),

    colour: (_) => /#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?/,

    comment: (_) => token(choice(seq('//', /[^\n]*/), seq('/*', /[^*]*\*+([^/*][^*]*\*+)*/, '/'))),
  },
});
