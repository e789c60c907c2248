module github.com/lsbaws-go/lsbaws-go

go 1.26
