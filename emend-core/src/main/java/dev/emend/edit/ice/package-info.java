/**
 * ICE: RippleEdits' in-context editing baseline, an "Imagine that {fact}" line before every prompt (Cohen et al.,
 * "Evaluating the Ripple Effects of Knowledge Editing in Language Models", TACL 2024, arXiv:2307.12976; algorithms
 * §11.2(a)). Changes no weight: an edit is a {@link dev.emend.edit.PromptPatch}. EasyEdit's KnowEdit column "ICE" is a
 * different thing, IKE with {@code use_icl_examples: false} ({@link dev.emend.edit.ike}).
 */
package dev.emend.edit.ice;
