// Package tests runs every step as a real process and talks to it over
// TCP on the loopback interface, as a student's browser would.
//
// TestMain builds each step once. Each test starts a step on
// 127.0.0.1:0, reads the address it prints, sends requests from
// testdata/requests/ and compares the response bytes and the server's
// console output with the golden files in testdata/<step>/, after
// normalising the only parts that change from run to run: port numbers,
// file descriptor numbers and the time in a response's Date field.
//
// Rewrite the golden files after a deliberate change with
//
//	go test ./tests -update
//
// and read the diff before committing it.
package tests
