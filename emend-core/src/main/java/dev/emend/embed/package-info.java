/** Sentence embeddings for retrieval (IKE's demonstrations), computed with DJL's PyTorch engine. */
package dev.emend.embed;
