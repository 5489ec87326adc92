// The demo and the tests start brokers on free loopback ports the same way: one implementation, in
// src/demo/net.ts (the demo ships with the package, the tests do not).
export { freePort, retryWhilePortTaken } from '../../src/demo/net.js'
