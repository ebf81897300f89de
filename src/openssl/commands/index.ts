export { enc, type EncOptions } from "./enc.js";
export { oaepEncrypt, oaepEncryptMany, oaepDecrypt, pkeySign, pkeyVerify, type KeyInput, type OaepDigest, type SignaturePadding } from "./pkeyutl.js";
export { digest, hmac, dgstSign, dgstVerify } from "./dgst.js";
export { genpkeyRsa, genrsa, convertKey, publicKeyOf, keyText, type GenerateOptions, type KeyToolOptions } from "./keys.js";
export { rand, rsautlDecrypt, rsautlEncrypt } from "./misc.js";
