package main

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// languages are the languages the checker speaks, for -lang.
var languages = []string{"en", "zh-CN"}

// zhCN is the checker's one catalog: everything it says, in Simplified
// Chinese, keyed by the English. A key is a phrase or a format of fmt's
// (say and sayIn fill in its arguments, in the same order unless the
// translation numbers them, %[2]d); bytes quoted from the server are
// arguments, and stay as they are. A message missing here stays in
// English; TestEveryMessageSpeaksChinese finds, in the checker's source,
// every phrase that reaches the output and checks that it is here.
var zhCN = map[string]string{
	// stages
	"accepts connections (step1-socket)":                                       "接受连接（step1-socket）",
	"reads the request (step2-request-print)":                                  "读取请求（step2-request-print）",
	"answers with valid HTTP/1.1 (step3-response)":                             "用合法的 HTTP/1.1 作答（step3-response）",
	"parses the request (step4-parse)":                                         "解析请求（step4-parse）",
	"refuses what it will not take (step5-limits)":                             "拒绝它不接受的请求（step5-limits）",
	"runs an application through a gateway (step6-gateway)":                    "通过网关运行应用（step6-gateway）",
	"serves several clients at once (step7-processes)":                         "同时服务多个客户端（step7-processes）",
	"serves many clients at once (step8-threads)":                              "同时服务许多客户端（step8-threads）",
	"serves new clients while hundreds of connections wait (step9-goroutines)": "数百个连接在等待时，仍服务新的客户端（step9-goroutines）",
	"keeps connections open (step10-keep-alive)":                               "保持连接打开（step10-keep-alive）",

	// checks
	"accepts a TCP connection": "接受一个 TCP 连接",
	"accepts the next client after one that connects and closes at once":                                        "一个客户端连上就关闭之后，仍接受下一个客户端",
	"accepts the next client after one that connects and resets":                                                "一个客户端连上就重置之后，仍接受下一个客户端",
	"waits for the request instead of hanging up at once":                                                       "等待请求，而不是立刻挂断",
	"reads the Firefox request without a reset":                                                                 "读取 Firefox 的请求，连接没有被重置",
	"prints the request line it received":                                                                       "打印收到的请求行",
	"answers the request":                                                                                       "回应请求",
	"starts with a status line such as HTTP/1.1 200 OK, ending in CRLF":                                         "以 HTTP/1.1 200 OK 这样的状态行开头，并以 CRLF 结尾",
	"ends the header fields with an empty line":                                                                 "用一个空行结束首部字段",
	"writes each header field as Name: value, ending in CRLF":                                                   "每个首部字段写成 Name: value，并以 CRLF 结尾",
	"sends a body that contains Hello, World!":                                                                  "发送包含 Hello, World! 的正文",
	"ends the body where Content-Length says, or by closing the connection":                                     "在 Content-Length 所说的地方结束正文，或者用关闭连接来结束它",
	"closes the connection or keeps it open as the headers say":                                                 "按首部字段所说关闭或保持连接",
	"answers GET /hello?name=checker with 200 and shows the method, path and query":                             "对 GET /hello?name=checker 回应 200，并显示方法、路径和查询",
	"answers a path it does not have with 404":                                                                  "对没有的路径回应 404",
	"answers a request line that is not HTTP with 400":                                                          "对不是 HTTP 的请求行回应 400",
	"still answers GET / with 200 afterwards":                                                                   "之后仍对 GET / 回应 200",
	"lets the application route /hello/checker to Hello, checker!":                                              "让应用把 /hello/checker 路由到 Hello, checker!",
	"hands a body sent with Content-Length to the application":                                                  "把用 Content-Length 发送的正文交给应用",
	"sends a long body whole, framed by Content-Length or chunks":                                               "完整发送很长的正文，用 Content-Length 或分块定界",
	"answers 500 when the application panics":                                                                   "应用 panic 时回应 500",
	"still runs the application after it panicked":                                                              "应用 panic 之后仍继续运行它",
	"answers a client while another one says nothing":                                                           "另一个客户端一言不发时，仍回应这个客户端",
	"answers a client while ten others say nothing":                                                             "十个客户端一言不发时，仍回应另一个客户端",
	"still answers after the silent clients have gone":                                                          "沉默的客户端离开之后，仍然回应",
	"answers a second request on the same connection":                                                           "在同一个连接上回应第二个请求",
	"answers two requests sent together, in order":                                                              "按顺序回应一起发来的两个请求",
	"closes the connection after a request that says Connection: close":                                         "在说了 Connection: close 的请求之后关闭连接",
	"answers a new client while ten kept-alive connections sit idle":                                            "十个持久连接闲置时，仍回应新的客户端",
	"reads a 3 KB request, with a long Cookie field, and answers 200":                                           "读完一个带着很长 Cookie 字段的 3 KB 请求，并回应 200",
	"reads a request that arrives in three pieces, 100 ms apart, and answers 200":                               "读完一个分三段、每段相隔 100 毫秒到达的请求，并回应 200",
	"answers a header field of 100 KB with 431, or 400":                                                         "对 100 KB 的首部字段回应 431 或 400",
	"answers a head of 100 KB in a thousand header fields with 431, or 400":                                     "对由一千个首部字段组成的 100 KB 报文头回应 431 或 400",
	"answers a request target of 64 KiB with 414":                                                               "对 64 KiB 的请求目标回应 414",
	"answers an HTTP/1.1 request without Host with 400":                                                         "对没有 Host 的 HTTP/1.1 请求回应 400",
	"answers a Content-Length of 2 GB with 413 at once":                                                         "对 2 GB 的 Content-Length 立刻回应 413",
	"answers a request with both Transfer-Encoding and Content-Length, then closes the connection":              "回应同时带有 Transfer-Encoding 和 Content-Length 的请求，然后关闭连接",
	"answers requests in HTTP/2.0 and HTTP/3.0 with 505":                                                        "对 HTTP/2.0 和 HTTP/3.0 的请求回应 505",
	"answers a method it does not have, BREW, with 501, or 405 and Allow":                                       "对它没有的方法 BREW 回应 501，或者回应 405 并带上 Allow",
	"sends a long body whole, ended by Content-Length or by the close":                                          "完整发送很长的正文，用 Content-Length 或关闭连接来结束它",
	"answers a hundred clients that connect at once, each with a request":                                       "一百个客户端同时连上、各发一个请求时，回应每一个",
	"answers a new client while fifty others hold half-sent requests":                                           "五十个客户端各自占着只发了一半的请求时，仍回应新的客户端",
	"still answers after the half-sent clients have gone":                                                       "只发了一半请求的客户端离开之后，仍然回应",
	"answers a new client while five hundred others say nothing":                                                "五百个客户端一言不发时，仍回应新的客户端",
	"answers a new client while five hundred others hold half-sent requests":                                    "五百个客户端各自占着只发了一半的请求时，仍回应新的客户端",
	"still answers after the five hundred have gone":                                                            "这五百个客户端离开之后，仍然回应",
	"decodes a chunked request body, then answers the next request on the connection":                           "解码分块发送的请求正文，然后回应这个连接上的下一个请求",
	"sends a long body on a kept connection, framed by Content-Length or chunks, then answers the next request": "在持久连接上发送很长的正文，用 Content-Length 或分块定界，然后回应下一个请求",

	// what was wanted and what came back
	"the server still running": "服务器仍在运行",
	"to send the request":      "发送请求",
	"a reply":                  "一个回应",
	"the connection kept open while the server waits in recv":          "服务器在 recv 中等待时，连接保持打开",
	"the server closed the connection before the client sent anything": "客户端还没发送任何东西，服务器就关闭了连接",
	"the server sent something before the request arrived":             "请求到达之前，服务器就发来了东西",
	"the request read, then a normal close (FIN) or a reply":           "请求被读取，然后正常关闭（FIN）或作出回应",
	"the connection was reset":                                         "连接被重置了",
	"a response":                                                       "一个响应",
	"the server closed the connection without a byte":                  "服务器一个字节也没发就关闭了连接",
	"the connection was reset without a byte":                          "一个字节也没收到，连接就被重置了",
	"a line ending in \\r\\n":                                          "以 \\r\\n 结尾的行",
	"Name: value":                                                      "Name: value",
	"a field name with no spaces, followed at once by the colon":       "不含空格、紧跟冒号的字段名",
	"Content-Length: a number of bytes":                                "Content-Length: 字节数",
	"Content-Length, or the connection closed after the body":          "Content-Length，或者正文之后关闭连接",
	"neither":                               "两者都没有",
	"the connection closed after the body":  "正文之后关闭连接",
	"the connection stayed open":            "连接一直保持打开",
	"a whole response head":                 "完整的响应报文头",
	"a status line such as HTTP/1.1 200 OK": "像 HTTP/1.1 200 OK 这样的状态行",
	"status 400":                            "状态码 400",
	"a well-formed chunked body":            "格式正确的分块正文",
	"the server closed the connection":      "服务器关闭了连接",
	"a response that keeps the connection open, without Connection: close":                           "一个保持连接打开、不带 Connection: close 的响应",
	"a body framed by Content-Length or chunks":                                                      "用 Content-Length 或分块定界的正文",
	"neither: the body ends only when the connection closes":                                         "两者都没有：正文只在连接关闭时结束",
	"the whole body, as its framing announces":                                                       "完整的正文，与 Content-Length 或分块所标明的一致",
	"an answer to the second request":                                                                "对第二个请求的回应",
	"the server closed the connection after the first response, which did not say Connection: close": "服务器在第一个响应之后关闭了连接，而那个响应并没有说 Connection: close",
	"an answer to the second request, after the first's":                                             "在对第一个请求的回应之后，对第二个请求的回应",
	"a response that keeps the connection open: HTTP/1.1, or HTTP/1.0 with Connection: keep-alive":   "一个保持连接打开的响应：HTTP/1.1，或者带 Connection: keep-alive 的 HTTP/1.0",
	"Connection: close in the response":                                                              "响应中的 Connection: close",
	"an answer to each of ten clients, one after another":                                            "依次回应十个客户端中的每一个",
	"status 200, then a normal close (FIN)":                                                          "状态码 200，然后正常关闭（FIN）",
	"no answer before the request's last piece, its empty line, has arrived":                         "请求的最后一段（也就是它的空行）到达之前，不作回应",
	"status 200":                               "状态码 200",
	"%q, then the connection was reset":        "%q，然后连接被重置了",
	"%s, then the connection was reset":        "%s，然后连接被重置了",
	"%s, after the first piece of the request": "%s，这时只收到了请求的第一段",
	"%s, after two pieces of the request":      "%s，这时只收到了请求的前两段",
	"%s":                                       "%s",
	"an answer within %s of the last piece":    "最后一段到达之后 %s内的回应",
	"status 431, or 400":                       "状态码 431 或 400",
	"status 414":                               "状态码 414",
	"status 413":                               "状态码 413",
	"status 501, or 405 with an Allow field":   "状态码 501，或者状态码 405 并带有 Allow 字段",
	"a response (400, or the answer to the body that the chunks frame), then the connection closed": "一个响应（400，或者对分块所定界的正文的回应），然后关闭连接",

	// why
	"nothing a client does may end the server: the last lines it printed are below": "客户端做什么都不应让服务器结束：下面是它最后打印的几行",
	"a server accepts connections for as long as it runs":                           "服务器只要在运行，就要接受连接",
	"the server must let the client send its request":                               "服务器必须让客户端把请求发出来",
	"the connection failed": "连接失败了",
	"a server reads the request (recv) before it answers and closes":                                                                                                                                                    "服务器在回应和关闭之前，要先读取请求（recv）",
	"when a server closes a connection with request bytes still unread, the kernel resets it: recv the whole request before close":                                                                                      "服务器关闭连接时如果还有请求字节没读，内核会重置连接：close 之前先用 recv 读完整个请求",
	"the checker can read the server's output only when it starts the server: -- CMD ARGS...":                                                                                                                           "只有由检查器启动服务器时，它才能读到服务器的输出：-- CMD ARGS...",
	"step 2 prints the request it received, so that you see what the browser sends (if yours prints it, flush its output: a program whose output is a pipe may hold it back)":                                           "第 2 步会打印收到的请求，让你看到浏览器发了什么（如果你的程序打印了，请刷新输出：输出到管道时，程序可能会先把内容留在缓冲区里）",
	"after reading the request, the server sends its response with sendall":                                                                                                                                             "读完请求之后，服务器用 sendall 发送响应",
	"a client waits only so long: the server must send its whole response at once, with sendall":                                                                                                                        "客户端不会无限等待：服务器必须用 sendall 一次发完整个响应",
	"the response starts with an empty line: a browser skips it, but in HTTP/1.1 the first line must be the status line, and curl refuses such a reply as HTTP/0.9":                                                     "响应以一个空行开头：浏览器会跳过它，但在 HTTP/1.1 中第一行必须是状态行，curl 会把这样的回应当作 HTTP/0.9 而拒绝",
	"the status line ends in a bare LF: every line of an HTTP/1.1 head ends in CRLF, \\r\\n":                                                                                                                            "状态行以单独的 LF 结尾：HTTP/1.1 报文头的每一行都以 CRLF（\\r\\n）结尾",
	"the status line never ends: after it come CRLF, the header fields and an empty line":                                                                                                                               "状态行没有结束：它后面应该是 CRLF、首部字段和一个空行",
	"the status line is the version HTTP/1.1 (or HTTP/1.0), the status code 200 and a reason phrase such as OK, separated by single spaces":                                                                             "状态行是版本 HTTP/1.1（或 HTTP/1.0）、状态码 200 和 OK 这样的原因短语，用单个空格分隔",
	"the status line starts with the version of HTTP the server speaks: HTTP/1.1, or HTTP/1.0, with which a server may answer too; HTTP/2 and HTTP/3 do not send their heads as lines of text":                          "状态行以服务器所说的 HTTP 版本开头：HTTP/1.1，或者 HTTP/1.0（服务器也可以用它作答）；HTTP/2 和 HTTP/3 不以一行行文本的形式发送报文头",
	"a response in HTTP/1.0 ends its connection unless it says Connection: keep-alive (RFC 9112 §9.3): answer in HTTP/1.1, in which the connection stays open by default":                                               "HTTP/1.0 的响应会结束它的连接，除非它说了 Connection: keep-alive（RFC 9112 §9.3）：用 HTTP/1.1 作答，HTTP/1.1 默认让连接保持打开",
	"without the empty line the client cannot tell the header fields from the body: it reads the body as more header fields":                                                                                            "没有空行，客户端就分不清首部字段和正文：它会把正文当作更多的首部字段来读",
	"the header field ends in a bare LF: every line of an HTTP/1.1 head ends in CRLF, \\r\\n":                                                                                                                           "首部字段以单独的 LF 结尾：HTTP/1.1 报文头的每一行都以 CRLF（\\r\\n）结尾",
	"a header field has a name, a colon, and a value":                                                                                                                                                                   "首部字段由名字、冒号和值组成",
	"a header field's name is a token: letters, digits and a few symbols, no space before the colon":                                                                                                                    "首部字段的名字是一个记号：字母、数字和少数符号，冒号前不能有空格",
	"the empty line that ends the head is a CRLF on its own":                                                                                                                                                            "结束报文头的空行就是单独一个 CRLF",
	"the body follows the empty line; it is what the browser shows":                                                                                                                                                     "正文跟在空行后面，也就是浏览器显示的内容",
	"Content-Length is the body's length in bytes, in decimal digits":                                                                                                                                                   "Content-Length 是正文的字节长度，用十进制数字写",
	"Content-Length must count the body's bytes exactly: a client reads that many and stops, or waits for bytes that never come":                                                                                        "Content-Length 必须准确计算正文的字节数：客户端读到这么多就停下，或者一直等待永远不会来的字节",
	"without Content-Length, only the end of the connection tells the client where the body ends":                                                                                                                       "没有 Content-Length 时，只有连接结束才能告诉客户端正文在哪里结束",
	"Connection: close promises that the server hangs up after this response; the client waits for it":                                                                                                                  "Connection: close 承诺服务器在这个响应之后挂断；客户端会等它挂断",
	"every request gets a response: status line, header fields, empty line":                                                                                                                                             "每个请求都要得到响应：状态行、首部字段、空行",
	"the status line is the version, the status code and the reason phrase":                                                                                                                                             "状态行由版本、状态码和原因短语组成",
	"step 4's body shows what the server understood: the method, the path and the query":                                                                                                                                "第 4 步的正文显示服务器理解到的内容：方法、路径和查询",
	"a request line is METHOD, target and HTTP version, separated by single spaces; anything else gets 400 Bad Request":                                                                                                 "请求行是方法、请求目标和 HTTP 版本，用单个空格分隔；其他任何东西都得到 400 Bad Request",
	"/hello is a page of the server: it answers 200 OK":                                                                                                                                                                 "/hello 是服务器的一个页面：它回应 200 OK",
	"a path the server has no page for gets 404 Not Found, as the browser's own /favicon.ico request does":                                                                                                              "服务器没有页面的路径得到 404 Not Found，浏览器自己发的 /favicon.ico 请求也是如此",
	"a bad request must not take the server down":                                                                                                                                                                       "一个坏请求不能让服务器停下",
	"the gateway hands every request to the application, which routes /hello/{name} itself":                                                                                                                             "网关把每个请求交给应用，由应用自己路由 /hello/{name}",
	"the request's body reaches the application as r.Body (WSGI's wsgi.input)":                                                                                                                                          "请求的正文以 r.Body 到达应用（相当于 WSGI 的 wsgi.input）",
	"each chunk is its size in hexadecimal, CRLF, the bytes, CRLF; a chunk of size 0 ends the body":                                                                                                                     "每个块是十六进制的大小、CRLF、字节、CRLF；大小为 0 的块结束正文",
	"when the application fails, the gateway tells the client with 500 Internal Server Error":                                                                                                                           "应用失败时，网关用 500 Internal Server Error 告诉客户端",
	"an application's output longer than the gateway's buffer goes out as it comes, and must arrive whole: with Content-Length when the gateway knows the length before it sends, else ended by closing the connection": "应用的输出比网关的缓冲区长时，要边产生边发送，而且必须完整到达：网关在发送之前就知道长度时用 Content-Length，否则用关闭连接来结束它",
	"a server bounds the head it reads, or one client can make it hold all the memory it has: past its bound it stops reading and answers 431 Request Header Fields Too Large (RFC 6585 §5); RFC 9110 §5.4 asks for a 4xx status, and 400 Bad Request, which nginx and Apache send, is one too":                                    "服务器要给它读取的报文头设上限，否则一个客户端就能让它占满所有内存：超过上限，它就停止读取，回应 431 Request Header Fields Too Large（RFC 6585 §5）；RFC 9110 §5.4 要求的是一个以 4 开头的状态码，nginx 和 Apache 发送的 400 Bad Request 也是其中之一",
	"a server bounds the request line too: RFC 9112 §3 recommends reading at least 8000 bytes of it, and says that a server answers a request target longer than it will read with 414 URI Too Long":                                                                                                                               "服务器也要给请求行设上限：RFC 9112 §3 建议至少能读 8000 个字节，并规定服务器对比它愿意读取的更长的请求目标回应 414 URI Too Long",
	"an HTTP/1.1 request must have a Host header field, and a server must answer one without it with 400 Bad Request (RFC 9112 §3.2)":                                                                                                                                                                                              "HTTP/1.1 请求必须带有 Host 首部字段，服务器必须对没有它的请求回应 400 Bad Request（RFC 9112 §3.2）",
	"a server bounds the body it reads too: past its bound it answers 413 Content Too Large (RFC 9110 §15.5.14) as soon as Content-Length says so, rather than wait for bytes that a client may send as slowly as it likes, or never":                                                                                              "服务器也要给它读取的正文设上限：一旦 Content-Length 表明超过了上限，就立刻回应 413 Content Too Large（RFC 9110 §15.5.14），而不是等待那些客户端可以想多慢就多慢地发送、甚至永远不发送的字节",
	"with both, one server reads the body by its chunks and another by its length, and each takes a different part of it for the next request (request smuggling): RFC 9112 §6.1 lets a server refuse such a request with 400 or read the body by Transfer-Encoding alone, and either way close the connection after its response": "两者都有时，一个服务器按分块读取正文，另一个按长度读取，各自把正文的不同部分当作下一个请求（请求走私）：RFC 9112 §6.1 允许服务器用 400 拒绝这样的请求，或者只按 Transfer-Encoding 读取正文，但无论哪种做法，都要在响应之后关闭连接",
	"the request line names the version of HTTP the client speaks; a server that does not speak its major version answers 505 HTTP Version Not Supported (RFC 9110 §15.6.6), not as if the client spoke HTTP/1.1":                                                                                                                  "请求行写明客户端所说的 HTTP 版本；服务器不会说这个主版本时，回应 505 HTTP Version Not Supported（RFC 9110 §15.6.6），而不是当作客户端说的是 HTTP/1.1",
	"a server answers a method it does not implement with 501 Not Implemented, and one it implements but not for this path with 405 Method Not Allowed and an Allow field that lists the methods the path takes (RFC 9110 §9.1, §15.5.6)":                                                                                          "服务器对它没有实现的方法回应 501 Not Implemented；对它实现了、但这个路径不接受的方法，回应 405 Method Not Allowed，并用 Allow 字段列出这个路径接受的方法（RFC 9110 §9.1、§15.5.6）",
	"a request the server refuses must not take it down": "服务器拒绝的请求不能让它停下",
	"clients come in crowds: a server that serves each connection with a thread (or a process, or a goroutine), and whose listen queue is deep enough for the rest, answers them all at once; a queue too short makes the kernel drop connection attempts, which a client sends again only a second later (RFC 6298's first retransmission timeout)": "客户端会成群而来：为每个连接各用一个线程（或进程、goroutine）服务、监听队列又足够长、能容下其余连接的服务器，能同时回应它们；队列太短时，内核会丢掉连接请求，客户端要过一秒才会重发（RFC 6298 的首次重传超时）",
	"while %d clients hold their connections with half a request, as clients on slow networks do and as an attack does on purpose (slowloris), each holds what serves it, a thread or a process, until its read deadline: a server needs room for many more connections than it has requests to answer":                                              "%d 个客户端各自用只发了一半的请求占着连接，网络慢的客户端会这样，攻击（slowloris）会故意这样；每个客户端都会占着为它服务的线程或进程，直到读取的截止时间：服务器需要能容纳比它要回应的请求多得多的连接",
	"while %d clients say nothing, as idle clients and clients on slow networks do, %s":                              "%d 个客户端一言不发（闲置的客户端和网络慢的客户端都会这样）时，%s",
	"while %d clients hold half a request each, as slow clients do and as an attack does on purpose (slowloris), %s": "%d 个客户端各自占着只发了一半的请求（慢的客户端会这样，攻击 slowloris 会故意这样）时，%s",
	"a server with a thread or a process for each connection, up to a bound of 64 or so, has given every one of them to a waiting client: the kernel holds the next connections in the listen queue, the new client's among them, and its turn comes only after the clients ahead of it in the queue have each had their read timeout; a goroutine that waits on the net package's poller costs a few KiB and no thread, so a server on net can afford a bound of thousands. A server out of file descriptors (ulimit -n) makes the new client wait too: each connection holds one": "每个连接一个线程或进程、上限在 64 个左右的服务器，已经把每一个线程或进程都给了一个等待中的客户端：内核把后来的连接留在监听队列里，新客户端的连接也在其中，要等队列里排在它前面的客户端一个个等到读取超时，才轮到它；而在 net 包的轮询器上等待的 goroutine 只占几 KiB，不占线程，所以基于 net 的服务器可以把上限定在几千个。文件描述符用完（ulimit -n）的服务器也会让新客户端一直等：每个连接都占一个",
	"when clients leave, what served them must be freed, and their file descriptors closed: a server that keeps them soon serves no one":                                                                                                                                                                                                       "客户端离开之后，为它们服务的东西必须释放，它们的文件描述符必须关闭：留着这些东西的服务器很快就谁也服务不了",
	"when clients leave, what served them must be freed: a server whose bound still counts connections that have gone soon serves no one":                                                                                                                                                                                                      "客户端离开之后，为它们服务的东西必须释放：如果连接数的上限还在计算已经离开的连接，服务器很快就谁也服务不了",
	"a body sent with Transfer-Encoding: chunked is a series of chunks, each its size in hexadecimal, CRLF, the bytes, CRLF, up to a chunk of size 0 (RFC 9112 §7.1): a server that keeps connections open must decode it, since a client that does not know its body's length in advance has no other way to send it and keep the connection": "用 Transfer-Encoding: chunked 发送的正文是一串块，每块是十六进制的大小、CRLF、字节、CRLF，直到大小为 0 的块（RFC 9112 §7.1）：保持连接打开的服务器必须解码它，因为事先不知道正文长度的客户端没有别的办法既发送正文又保留连接",
	"the request after a chunked body starts where the body's last chunk, and the empty line after it, end: read the body to there, no less and no more":                                                                                                                                                                                       "分块正文之后的请求，从正文的最后一块及其后的空行结束的地方开始：正文要正好读到那里，不少也不多",
	"the application's long output must arrive whole on a kept connection too":                                                                                                                                                                                                                                                                 "在持久连接上，应用的长输出也必须完整到达",
	"on a kept connection, an application's output longer than the server's buffer goes out in chunks (or with its whole length, when the server waits for all of it): the next response starts right after the last chunk":                                                                                                                    "在持久连接上，应用的输出比服务器的缓冲区长时要分块发送（服务器等到全部输出之后再发时，也可以标明总长度）：下一个响应紧接在最后一块之后开始",
	"none": "没有",
	"while other clients say nothing, a server that serves one client at a time waits on the first of them, and everyone else waits too: serve each connection on its own (a process, a thread or a goroutine)": "其他客户端一言不发时，一次只服务一个客户端的服务器会等在第一个沉默的客户端上，其他所有人也跟着等：让每个连接各自得到服务（用进程、线程或 goroutine）",
	"the other clients must be served as usual":                                                                            "其他客户端必须照常得到服务",
	"one failed request must not take the server down":                                                                     "一个失败的请求不能让服务器停下",
	"the application answers GET /hello/NAME with Hello, NAME!":                                                            "应用对 GET /hello/NAME 回应 Hello, NAME!",
	"responses come back in the order of the requests: nothing else tells the client which response answers which request": "响应按请求的顺序返回：客户端没有别的办法知道哪个响应回答的是哪个请求",
	"the server closes every connection after one response, and says so with Connection: close: HTTP/1.1 allows that, but it is not keep-alive, HTTP/1.1's default, in which the connection stays open for the client's next request; keep it open after the response, and read the next request from it": "服务器在一个响应之后就关闭每个连接，并用 Connection: close 说明了这一点：HTTP/1.1 允许这样做，但这不是持久连接，而持久连接是 HTTP/1.1 的默认做法：连接保持打开，等待客户端的下一个请求；响应之后让连接保持打开，从中读取下一个请求",
	"on a connection kept open, only Content-Length or the chunks tell the client where a body ends and the next response begins":                                                                                                                                                                         "在保持打开的连接上，只有 Content-Length 或分块能告诉客户端正文在哪里结束、下一个响应从哪里开始",
	"a client reads a body up to the end that Content-Length or the last chunk marks: the server must send all of it":                                                                                                                                                                                     "客户端会一直读到 Content-Length 或最后一个块标明的结尾：服务器必须把正文全部发出",
	"HTTP/1.1 keeps a connection open unless the client or the server says Connection: close: a server that closes it after a response must say so in that response, or the client sends its next request on a connection that is closing, and loses it":                                                  "除非客户端或服务器说了 Connection: close，HTTP/1.1 会让连接保持打开：在响应之后关闭连接的服务器必须在那个响应中说明，否则客户端会把下一个请求发到一个正在关闭的连接上，这个请求就丢了",
	"the first response kept the connection open (it did not say Connection: close), so the client sent its next request on it: after a response, read the next request from the same connection and answer it":                                                                                           "第一个响应让连接保持打开（它没有说 Connection: close），所以客户端在这个连接上发出了下一个请求：响应之后，要从同一个连接读取下一个请求并回应它",
	"the second request on a connection is answered like the first": "连接上的第二个请求要像第一个一样得到回应",
	"the request is 3 KB, as a browser with a few cookies sends: a server that reads it with one recv(1024) answers after its first 1024 bytes and closes the connection with the rest unread, and the kernel then resets the connection; recv in a loop, adding what each recv returns to what came before, until the empty line that ends the head has arrived": "这个请求有 3 KB，带着几个 Cookie 的浏览器就会发这么长的请求：只用一次 recv(1024) 读取的服务器，读完前 1024 个字节就作答，然后在其余字节还没读的时候关闭连接，于是内核重置了连接；要循环调用 recv，把每次读到的字节接在前面读到的后面，直到结束报文头的空行到达为止",
	"TCP carries a stream of bytes, not messages: a recv returns what has arrived so far, here a part of the request; recv in a loop, adding what each recv returns to what came before, until the empty line that ends the head has arrived":                                                                                                                     "TCP 传送的是字节流，而不是一条条消息：一次 recv 返回的是到目前为止已经到达的字节，这里只是请求的一部分；要循环调用 recv，把每次读到的字节接在前面读到的后面，直到结束报文头的空行到达为止",
	"the request's empty line came in a piece of its own, as it does when someone types a request into nc: look for the empty line in everything received so far, not in the last recv's bytes alone":                                                                                                                                                             "请求的空行是单独作为一段到达的，有人在 nc 里手敲请求时就是这样：要在到目前为止收到的全部字节中寻找空行，而不是只在最后一次 recv 读到的字节里找",
	"the server answered, then closed the connection with a part of the request still unread, and the kernel reset the connection: recv in a loop, adding what each recv returns to what came before, until the empty line that ends the head has arrived":                                                                                                        "服务器作答之后关闭了连接，而请求还有一部分没读，于是内核重置了连接：要循环调用 recv，把每次读到的字节接在前面读到的后面，直到结束报文头的空行到达为止",
	"the request's head ends with its empty line: once it has arrived, the server answers":                                                                                                                                                                                             "请求的报文头以空行结束：空行一到，服务器就要作答",
	"a request that is long, or that arrives in pieces, is still an ordinary request: read all of its head, then parse it":                                                                                                                                                             "一个很长的请求，或者分段到达的请求，仍然是一个普通的请求：先读完它的整个报文头，再解析它",
	"a client may send its next request before the answer to the last has come (pipelining): what a recv brings in after the end of a request is the next request, to be kept and answered, not thrown away":                                                                           "客户端可以不等上一个回应到达就发出下一个请求（管线化）：一次 recv 读到的、在一个请求结尾之后的字节就是下一个请求，要留下来并回应，而不是丢掉",
	"when the client says Connection: close, this response is the connection's last: the server says Connection: close in it too, and closes the connection after it":                                                                                                                  "客户端说了 Connection: close 时，这个响应就是这个连接上的最后一个：服务器也要在响应中说 Connection: close，并在它之后关闭连接",
	"after its response a connection stays open for its client's next request, which may come seconds later or never: a server that serves one connection at a time keeps every other client waiting that long; serve each connection on its own (a goroutine, a thread or a process)": "响应之后，连接保持打开，等待客户端的下一个请求，它可能几秒之后才来，也可能永远不来：一次只服务一个连接的服务器会让其他所有客户端等那么久；让每个连接各自得到服务（用 goroutine、线程或进程）",
	"while kept connections wait for their clients' next requests, a server that serves one connection at a time waits on one of them, and the new client waits too: serve each connection on its own (a goroutine, a thread or a process)":                                            "保持打开的连接在等待各自客户端的下一个请求时，一次只服务一个连接的服务器会等在其中一个上，新的客户端也跟着等：让每个连接各自得到服务（用 goroutine、线程或进程）",

	// phrases with arguments, in what was wanted and what came back
	"it exited (%s)":                  "它退出了（%s）",
	" (and %d more bytes)":            "（后面还有 %d 个字节）",
	"a connection to %s":              "连接到 %s",
	"%v":                              "%v",
	"%q in the server's output":       "服务器的输出中有 %q",
	"nothing within %s":               "%s内什么也没有收到",
	"a whole response head within %s": "%s内收到完整的响应报文头",
	"%s, then nothing more":           "%s，之后再也没有别的",
	`an empty line ("\r\n") after the header fields`:   `首部字段之后的空行（"\r\n"）`,
	`the empty line as "\r\n"`:                         `写成 "\r\n" 的空行`,
	`a body containing "Hello, World!"`:                `包含 "Hello, World!" 的正文`,
	"%d body bytes, as Content-Length says":            "Content-Length 所说的 %d 个正文字节",
	"%d bytes: %s":                                     "%d 个字节：%s",
	"the connection stayed open for %s after the body": "正文之后，连接又保持打开了 %s",
	"%s within %s":                                     "%[2]s内收到 %[1]s",
	"status %s":                                        "状态码 %s",
	"status %s, body %s":                               "状态码 %s，正文 %s",
	"a body that shows %q":                             "显示 %q 的正文",
	"status %s and a body containing %q":               "状态码 %s，正文包含 %q",
	"status 200 and the numbers 1 to %d, one a line":   "状态码 200，正文是 1 到 %d 的数字，每行一个",
	"status %s, %d body bytes: %s":                     "状态码 %s，%d 个正文字节：%s",
	"%s: %v":                                           "%s：%v",
	"an answer within %s":                              "%s内的回应",
	`status 200 and "Hello, checker!"`:                 `状态码 200，正文包含 "Hello, checker!"`,
	"%s, then %s":                                      "%s，然后%s",
	"%q, body %s":                                      "%q，正文 %s",
	"%q without Connection: keep-alive":                "%q，没有 Connection: keep-alive",
	"an answer to the second request within %s":        "%s内对第二个请求的回应",
	"%d answered, then for client %d: %s":              "%d 个得到了回应，然后第 %d 个客户端：%s",
	"no empty line in %d bytes":                        "%d 个字节里没有空行",
	"status 505 to a request in %s":                    "对 %s 的请求回应状态码 505",
	"%q, then the connection stayed open":              "%q，然后连接一直保持打开",
	"%q, then the connection stayed open for %s":       "%q，然后连接又保持打开了 %s",
	"an answer to each of %d clients within %s":        "%[2]s内对 %[1]d 个客户端中每一个的回应",
	"%d of them answered":                              "其中 %d 个得到了回应",
	"%d connections open at once within %s":            "%[2]s内同时打开 %[1]d 个连接",
	"%d connected, then: %v":                           "%d 个连上了，然后：%v",

	// the lines of a grading
	"Checking the server on %s, %s.":      "检查 %s 上的服务器：%s。",
	"stages 1 to 1":                       "第 1 阶段",
	"stages 1 to %d":                      "第 1–%d 阶段",
	"Stage %d: %s":                        "第 %d 阶段：%s",
	"PASS":                                "通过",
	"FAIL":                                "失败",
	"SKIP":                                "跳过",
	": want %s, got %s. Why: %s. See %s":  "。期望：%s；实际：%s。原因：%s。参见 %s",
	": %s":                                "：%s",
	"Passed: stages 1 to 1 of 1.":         "第 1 阶段全部通过。",
	"Passed: stages 1 to %[1]d of %[1]d.": "第 1–%d 阶段全部通过。",
	"Failed at stage 1: no stage passed.": "第 1 阶段未通过（没有通过任何阶段）。",
	"Failed at stage %d: %s passed.":      "第 %d 阶段未通过（已通过%s）。",

	// why the checker cannot grade
	"-stage must be 1 to %d":    "-stage 必须是 1 到 %d",
	"-timeout must be positive": "-timeout 必须是正数",
	"-class takes each student's command from the roster, not after --":                      "-class 从名单里取每个学生的命令，-- 之后不能再写命令",
	"-jobs, -student-limit and -startup must be positive":                                    "-jobs、-student-limit 和 -startup 必须是正数",
	"-report goes with -class":                                                               "-report 只能和 -class 一起用",
	"nothing is listening on %s (%v); start your server first, or give its command after --": "%s 上没有程序在监听：%v。请先启动你的服务器，或者把启动它的命令写在 -- 之后",
	"nothing is listening on %s (%v)":                                                        "%s 上没有程序在监听：%v",
	"%s; it printed nothing":                                                                 "%s；它什么也没有打印",
	"%s; the last lines it printed:\n%s":                                                     "%s；它最后打印的几行：\n%s",
	"could not start %s: %v":                                                                 "无法启动 %s：%v",
	"the server exited (%s) before it listened on %s":                                        "服务器退出了（%s），始终没在 %s 上监听",
	"nothing listened on %s within %s of the server's start":                                 "在 %s 上，服务器启动之后 %s内一直没有程序在监听",

	// a class (-class): the roster, a line per student, the table, the report
	"line %d: %q is not NAME: COMMAND":                           "第 %d 行：%q 不是 NAME: COMMAND 的形式",
	"line %d: no name before the colon":                          "第 %d 行：冒号前面没有名字",
	"line %d: %s has no command after the colon":                 "第 %d 行：%s 的冒号后面没有命令",
	"line %d: %s is already on line %d":                          "第 %d 行：%s 已经出现在第 %d 行",
	"it names no student":                                        "里面一个学生也没有",
	"read the roster: %v":                                        "读不了名单：%v",
	"the roster %s: %v":                                          "名单 %s：%v",
	"the report: %v":                                             "写不了报告：%v",
	"The report is in %s":                                        "报告在 %s",
	"interrupted: the students not yet graded were not":          "被中断了：还没打分的学生不再打分",
	"the checker was interrupted":                                "检查器被中断了",
	"stopped: grading took longer than -student-limit %s":        "已停止：打分用的时间超过了 -student-limit %s",
	"stopped: the checker was interrupted":                       "已停止：检查器被中断了",
	"find a free port":                                           "找不到空闲的端口",
	"find a free port: the kernel gave only ports already taken": "找不到空闲的端口：内核给出的都是已经分给别的学生的端口",
	"[%d/%d] %s: %s":                                             "[%d/%d] %s：%s",
	"not graded: %s":                                             "没有打分：%s",
	"passed %s":                                                  "通过了%s",
	"passed %s; %s":                                              "通过了%s；%s",
	"failed %s":                                                  "未通过 %s",
	"passed %s, failed %s":                                       "通过了%s，未通过 %s",
	"no stage":                                                   "没有阶段",
	"stage 1":                                                    "第 1 阶段",
	"stages 1–%d":                                                "第 1–%d 阶段",
	"not graded":                                                 "没有打分",
	": the server exited (%s)":                                   "：服务器退出了（%s）",
	"The class: %d students, %s.":                                "全班：%d 个学生，%s。",
	"STUDENT\tPASSED\tFIRST FAILING CHECK":                       "学生\t通过的阶段\t第一个未通过的检查",
	"%d of %d students were graded: the checker was interrupted.":            "%[2]d 个学生中有 %[1]d 个打了分：检查器被中断了。",
	"All %d students were graded.":                                           "全部 %d 个学生都打了分。",
	"%d of %d students were graded: a server that never listened cannot be.": "%[2]d 个学生中有 %[1]d 个打了分：从没开始监听的服务器无法打分。",
	"%s %s: failed: want %s, got %s. Why: %s":                                "%s %s：失败。期望：%s；实际：%s。原因：%s",
	"%s %s: skipped: %s":                                                     "%s %s：跳过：%s",
	"%s %s: passed":                                                          "%s %s：通过",
	"%s %s: not run":                                                         "%s %s：没有运行",
	"The server exited during grading (%s).":                                 "服务器在打分时退出了（%s）。",
	"Class report":                                                           "全班报告",
	"%d students, %s, each check bounded by %s. Hover over a cell to see the check; a failure's want, got and why are also in the row below the student.": "%d 个学生，%s，每项检查限时 %s。把鼠标停在格子上可以看到检查的内容；未通过的检查的期望、实际和原因也写在学生下面的一行里。",
	"Student":                    "学生",
	"Passed":                     "通过的阶段",
	"The last lines it printed:": "它最后打印的几行：",
	"✓ passed, ✗ failed, – skipped, blank: not run (an earlier check failed).": "✓ 通过，✗ 失败，– 跳过，空白：没有运行（前面的检查没有通过）。",
	". Why: %s.":                  "。原因：%s。",
	": want %s, got %s. Why: %s.": "。期望：%s；实际：%s。原因：%s。",

	// the usage (-h)
	"usage: checker [flags] [-- CMD ARGS...]":                                       "用法：checker [参数] [-- CMD ARGS...]",
	"       checker -class ROSTER [-stage N] [-report DIR] [-jobs K] [flags]":       "      checker -class ROSTER [-stage N] [-report DIR] [-jobs K] [参数]",
	"`host:port` where the server listens":                                          "服务器监听的地址 `host:port`",
	"grade stages 1 to `N` (at most 10)":                                            "给第 1 到第 `N` 阶段打分（最多 10）",
	"print the results as one JSON document":                                        "把结果打印成一个 JSON 文档",
	"bound on each check":                                                           "每项检查的时限",
	"with -- CMD or -class: how long a server may take to start listening":          "用 -- CMD 或 -class 时：服务器开始监听最多可以用多长时间",
	"the language of the messages: en, or zh-CN for Simplified Chinese":             "消息的语言：en，或者 zh-CN（简体中文）",
	"grade a whole class: the `ROSTER` file has one student a line, NAME: COMMAND":  "给整个班级打分：名单文件 `ROSTER` 每行一个学生，NAME: COMMAND",
	"with -class: write index.html, results.csv and results.json into `DIR`":        "用 -class 时：把 index.html、results.csv 和 results.json 写进目录 `DIR`",
	"with -class: how many students to grade at once":                               "用 -class 时：同时给几个学生打分",
	"with -class: how long one student's grading may take, once the server listens": "用 -class 时：服务器开始监听之后，一个学生的打分最多可以用多长时间",
	"int":           "整数",
	"duration":      "时长",
	"string":        "字符串",
	" (default %q)": "（默认值 %q）",
	" (default %s)": "（默认值 %s）",
}

// translate returns the message in the language, or as it is when the
// catalog has no translation.
func translate(lang, message string) string {
	if lang == "zh-CN" {
		if t, ok := zhCN[message]; ok {
			return t
		}
	}
	return message
}

// sayIn formats a message of the catalog in the language: the format is
// translated, then filled in with the arguments, which are written in
// the language too (see argIn).
func sayIn(lang, format string, args ...any) string {
	written := make([]any, len(args))
	for i, a := range args {
		written[i] = argIn(lang, a)
	}
	return fmt.Sprintf(translate(lang, format), written...)
}

// argIn writes an argument of a message in the language: a duration as
// 1 秒 or 300 毫秒, and an error by what went wrong (see errorIn).
// Everything else, the bytes quoted from the server among them, is
// left as it is.
func argIn(lang string, a any) any {
	switch a := a.(type) {
	case time.Duration:
		return durationIn(lang, a)
	case error:
		return errorIn(lang, a)
	}
	return a
}

// durationIn writes d as Go does (1s, 1.5s, 300ms) or, in Chinese, with
// the unit's name: 1 秒, 1.5 秒, 300 毫秒, 2 分钟.
func durationIn(lang string, d time.Duration) string {
	if lang != "zh-CN" {
		return d.String()
	}
	number := func(unit time.Duration) string {
		return strconv.FormatFloat(float64(d)/float64(unit), 'f', -1, 64)
	}
	switch {
	case d < time.Second:
		return number(time.Millisecond) + " 毫秒"
	case d >= time.Minute && d%time.Minute == 0:
		return number(time.Minute) + " 分钟"
	}
	return number(time.Second) + " 秒"
}

// errnosZH say in Chinese what the errors of the network calls that
// the checker meets mean; the errno's C name follows, for a search.
var errnosZH = map[syscall.Errno]struct{ meaning, name string }{
	syscall.ECONNREFUSED:  {"连接被拒绝", "ECONNREFUSED"},
	syscall.ECONNRESET:    {"连接被重置", "ECONNRESET"},
	syscall.ECONNABORTED:  {"连接被中止", "ECONNABORTED"},
	syscall.EPIPE:         {"连接已经关闭，写不进去", "EPIPE"},
	syscall.ETIMEDOUT:     {"连接超时", "ETIMEDOUT"},
	syscall.EHOSTUNREACH:  {"主机不可达", "EHOSTUNREACH"},
	syscall.ENETUNREACH:   {"网络不可达", "ENETUNREACH"},
	syscall.EADDRNOTAVAIL: {"地址不可用", "EADDRNOTAVAIL"},
	syscall.EADDRINUSE:    {"地址已被占用", "EADDRINUSE"},
	syscall.ENOENT:        {"没有这个文件或目录", "ENOENT"},
	syscall.EACCES:        {"没有权限", "EACCES"},
}

// errorIn says what err means: in English as Go says it; in Chinese by
// its errno (连接被拒绝（ECONNREFUSED）) or as a timeout, and an error
// that is neither (the message of a program that could not start, say)
// as Go says it.
func errorIn(lang string, err error) string {
	var speaks interface{ in(lang string) string }
	if errors.As(err, &speaks) {
		return speaks.in(lang)
	}
	if lang != "zh-CN" {
		return err.Error()
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if e, ok := errnosZH[errno]; ok {
			return e.meaning + "（" + e.name + "）"
		}
	}
	if isTimeout(err) {
		return "超时"
	}
	return err.Error()
}

// exitIn says how a server ended, from what Go says ("exit status 1",
// "signal: killed"): in Chinese 退出状态 1, 被信号 killed 终止.
func exitIn(lang, status string) string {
	if lang != "zh-CN" {
		return status
	}
	if code, ok := strings.CutPrefix(status, "exit status "); ok {
		return "退出状态 " + code
	}
	if signal, ok := strings.CutPrefix(status, "signal: "); ok {
		return "被信号 " + signal + " 终止"
	}
	return status
}

// chapterIn returns the link to a chapter section in the language: the
// Chinese chapters are in docs/zh-CN, and their anchors are the Chinese
// headings'.
func chapterIn(lang, link string) string {
	if lang != "zh-CN" {
		return link
	}
	file, anchor, _ := strings.Cut(strings.Replace(link, "docs/", "docs/zh-CN/", 1), "#")
	return file + "#" + cmp.Or(zhAnchors[anchor], anchor)
}

// zhAnchors are the anchors of the Chinese chapters' headings, keyed by
// the English headings' anchors that the checker links to.
var zhAnchors = map[string]string{
	"what-this-step-adds":                      "这一步添加了什么",
	"reading-the-whole-head-before-a-deadline": "在截止时间之前读完整个报文头",
}
