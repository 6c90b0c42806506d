/**
 * IKE, in-context knowledge editing (Zheng et al., "Can We Edit Factual Knowledge by In-Context Learning?",
 * EMNLP 2023, arXiv:2305.12740; EasyEdit {@code models/ike}; algorithms §11.1). Changes no weight: an edit is a
 * {@link dev.emend.edit.PromptPatch} whose context is retrieved demonstrations plus a "New Fact" line.
 *
 * <p>Glossary: {@code p} the edit's filled prompt, {@code t} its new target, {@code new_fact = p + " " + t}; the
 * demonstration types copy, update (paraphrase) and retain (neighbour); {@code k} the number retrieved. Sentence
 * embeddings are [d] rows, L2-normalised ({@link dev.emend.embed.SentenceEmbedder}).
 *
 * <p>EasyEdit's KnowEdit "ICE" column is this method with {@code use_icl_examples: false}; Emend's method "ICE"
 * ({@code dev.emend.edit.ice}) is RippleEdits' "Imagine that" baseline instead.
 */
package dev.emend.edit.ike;
