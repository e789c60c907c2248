package apps

import (
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
)

// ginApp is the application written with gin, a framework with its own
// handler type: a func(*gin.Context), whose Context wraps the
// *http.Request and the http.ResponseWriter that the gateway passes in.
// The *gin.Engine that gin.New returns is an http.Handler all the same.
func ginApp() http.Handler {
	gin.SetMode(gin.ReleaseMode) // no debug banner or list of routes on the console
	r := gin.New()               // no Logger or Recovery: the gateway prints, and recovers
	getOrHead := []string{http.MethodGet, http.MethodHead}
	hello := func(c *gin.Context) {
		c.String(http.StatusOK, "%s", greeting(c.Query("name"), c.Request))
	}
	r.Match(getOrHead, "/", hello)
	r.Match(getOrHead, "/hello", hello)
	r.Match(getOrHead, "/hello/:name", func(c *gin.Context) {
		c.String(http.StatusOK, "%s", greeting(c.Param("name"), c.Request))
	})
	r.POST("/hello", func(c *gin.Context) {
		n, err := io.Copy(io.Discard, c.Request.Body)
		if err != nil {
			c.String(http.StatusBadRequest, "%s\n", err)
			return
		}
		c.String(http.StatusOK, "%s", bodyReport(n, c.Request))
	})
	r.Match(getOrHead, "/count", func(c *gin.Context) {
		c.Header("Content-Type", textPlain)
		count(c.Writer)
	})
	r.GET("/panic", func(c *gin.Context) { panic(PanicMessage) })
	return r
}
